/**
 * Choosing a dialect: by configuration, or (`auto`) from the response headers and its events
 * (./detect.ts).
 */
import { createAiSdkDialect } from './ai-sdk.ts';
import { createAnthropicDialect } from './anthropic.ts';
import { createEventDialect } from './event.ts';
import { createLegacyDialect } from './legacy.ts';
import { createOpenAiDialect } from './openai.ts';
import { type Dialect, type DialectName, type DialectReport, silentReport } from './types.ts';

export {
  DIALECT_NAMES,
  type Dialect,
  type DialectName,
  type DialectReport,
  type UpstreamFormat,
} from './types.ts';

const FACTORIES: Record<DialectName, (report: DialectReport) => Dialect> = {
  legacy: createLegacyDialect,
  openai: createOpenAiDialect,
  anthropic: createAnthropicDialect,
  'ai-sdk': createAiSdkDialect,
  event: createEventDialect,
};

/** A fresh mapper of the named dialect. */
export function createDialect(name: DialectName, report: DialectReport = silentReport): Dialect {
  return FACTORIES[name](report);
}

export { type Detection, detectFromEvent, detectFromHeaders } from './detect.ts';
