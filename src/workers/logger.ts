/** Structured logs on Workers: one JSON object per console line (Workers Logs indexes them). */
import type { LogLevel, Logger } from '../core/index.ts';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** A console logger at the given level. */
export function createWorkersLogger(level: LogLevel): Logger {
  const at =
    (name: Exclude<LogLevel, 'silent'>) =>
    (fields: Record<string, unknown>, message: string): void => {
      if (RANK[name] < RANK[level]) return;
      console.log(JSON.stringify({ level: name, msg: message, name: 'sse2ws', ...fields }));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
