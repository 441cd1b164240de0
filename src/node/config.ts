/**
 * Reads the `--config` / `SSE2WS_CONFIG` file: JSON with upstream request shaping (`request`) and
 * custom profiles (`profiles`). Read once at start-up; a bad file stops the start.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, parseBridgeConfigText, type BridgeConfig } from '../core/index.ts';

/**
 * Read and validate a config file.
 * @throws ConfigError naming the file and the problem (unreadable, not JSON, a bad field).
 */
export function loadConfigFile(path: string): BridgeConfig {
  const source = `config ${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`${source}: cannot read the file (${reason})`);
  }
  return parseBridgeConfigText(text, source);
}
