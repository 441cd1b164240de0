/**
 * The config folder's former single file, now only re-exporting its one-concern files.
 * Kept while src/core/{session,stream,upstream} (reworked in parallel) still import it; new code
 * imports the file that owns the name: defaults.ts, types.ts, option-error.ts, values.ts, spec.ts,
 * usage.ts, resolve.ts, validate.ts.
 */
export * from './defaults.ts';
export * from './option-error.ts';
export * from './resolve.ts';
export * from './spec.ts';
export * from './types.ts';
export * from './usage.ts';
export * from './validate.ts';
