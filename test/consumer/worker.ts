// A Workers project's entry using the package's Workers entry, as docs/workers.md shows: test/node/package.test.ts bundles it with wrangler and runs it.
export { default, ConversationObject, StreamObject } from 'sse2ws/workers';
