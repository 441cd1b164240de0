/**
 * The layout's rules (ARCHITECTURE.md, "Code map"), checked by `npm test` (`npm run lint:deps`).
 * The core's folders are layered along the data path; a folder may import its own files and the
 * layers below it, never above. Type-only imports count (tsPreCompilationDeps).
 */
const CORE = '^src/core/';
// Lowest first. Folders on one line are peers and must not import each other.
const LAYERS = [
  ['internal'],
  ['config'],
  ['protocol'],
  ['registry', 'upstream', 'auth'],
  ['stream'],
  ['session'],
  ['transport'],
  ['http'],
];
const forbidden = [];
LAYERS.forEach((layer, level) => {
  const above = LAYERS.slice(level + 1).flat();
  for (const folder of layer) {
    const peers = layer.filter((f) => f !== folder);
    const banned = [...above, ...peers];
    forbidden.push({
      name: `core-${folder}-layer`,
      comment: `src/core/${folder} imports only itself and the layers below it (${LAYERS.slice(0, level).flat().join(', ') || 'none'})`,
      severity: 'error',
      from: { path: `${CORE}${folder}/` },
      to: { path: [`${CORE}(${banned.join('|')})/`, `${CORE}(bridge|index)\\.ts$`] },
    });
  }
});
forbidden.push(
  {
    name: 'core-bridge-below-index',
    comment: 'src/core/bridge.ts is imported only by src/core/index.ts',
    severity: 'error',
    from: { path: CORE, pathNot: `${CORE}index\\.ts$` },
    to: { path: `${CORE}bridge\\.ts$` },
  },
  {
    name: 'adapters-use-core-entry',
    comment: 'src/node and src/workers import the core only through src/core/index.ts',
    severity: 'error',
    from: { path: '^src/(node|workers)/' },
    to: { path: CORE, pathNot: `${CORE}index\\.ts$` },
  },
  {
    name: 'core-imports-no-adapter',
    comment: 'the core never imports a runtime adapter or the client SDK',
    severity: 'error',
    from: { path: CORE },
    to: { path: '^src/(node|workers|client)/' },
  },
  {
    name: 'client-stands-alone',
    comment:
      'the client SDK imports no server code (types of the error table, and the wire contract leaf core/protocol/conversation-fields.ts, excepted)',
    severity: 'error',
    from: { path: '^src/client/' },
    to: {
      path: '^src/(core|node|workers)/',
      pathNot: '^src/core/protocol/conversation-fields\\.ts$',
      dependencyTypesNot: ['type-only'],
    },
  },
  {
    name: 'no-circular',
    comment: 'no import cycles, type-only ones included',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
);
module.exports = {
  forbidden,
  options: {
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};
