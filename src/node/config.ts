/**
 * Reads the `--config` / `SSE2WS_CONFIG` file: JSON with upstream request shaping (`request`) and
 * custom profiles (`profiles`). Read once at start-up; a bad file stops the start.
 */
import { readFileSync } from 'node:fs';
import {
  type BridgeConfig,
  type BridgeOptions,
  ConfigError,
  parseBridgeConfigText,
} from '../core/index.ts';

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

/**
 * The config of one start: the one a caller already read and handed down (the CLI to
 * startNodeServer, startNodeServer to the bridge), else the `config` option's file, read now.
 * Every Node entry goes through here, so a start reads the file at most once.
 * @throws ConfigError as {@link loadConfigFile} does.
 */
export function toBridgeConfig(
  options: Pick<BridgeOptions, 'config'>,
  given: BridgeConfig | undefined,
): BridgeConfig | undefined {
  if (given !== undefined) return given;
  return options.config === undefined ? undefined : loadConfigFile(options.config);
}
