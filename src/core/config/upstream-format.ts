/** The dialects the bridge speaks (the mappers live in upstream/dialects/). */
export const DIALECT_NAMES = ['legacy', 'openai', 'anthropic', 'ai-sdk', 'event'] as const;
export type DialectName = (typeof DIALECT_NAMES)[number];

/** `--upstream-format`: a dialect, or `auto` to recognise it from the response. */
export type UpstreamFormat = DialectName | 'auto';
