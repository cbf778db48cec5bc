/**
 * The architecture, as rules a tool checks (`npm run lint`). See README "Architecture".
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'adapters-never-import-each-other',
      comment: 'Adapters meet only on the bus: one adapter may not import another.',
      severity: 'error',
      from: { path: '^adapters/([^/]+)/' },
      to: { path: '^adapters/', pathNot: '^adapters/$1/' },
    },
    {
      name: 'adapters-never-import-machines',
      comment: 'Adapters see src/ types and ports only; machines are the host\'s business.',
      severity: 'error',
      from: { path: '^adapters/' },
      to: { path: '^machines/' },
    },
    {
      name: 'adapters-never-import-the-host',
      comment: 'The host wires adapters in; an adapter that imported it would wire itself.',
      severity: 'error',
      from: { path: '^adapters/' },
      to: { path: '^src/(host|cli)/|^src/index\\.ts$' },
    },
    {
      name: 'machines-do-no-io',
      comment: 'Machines decide; the host provides the actors that touch files, sockets and time.',
      severity: 'error',
      from: { path: '^machines/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|child_process|cluster|worker_threads|readline|timers|timers/promises|os|process)$',
      },
    },
    {
      name: 'machines-see-only-the-domain',
      comment: 'Machines may use src/ types and pure functions, never adapters or the host.',
      severity: 'error',
      from: { path: '^machines/' },
      to: { path: '^adapters/|^src/(host|cli)/|^src/index\\.ts$' },
    },
    {
      name: 'domain-never-imports-edges',
      comment: 'Only the host, the CLI and the replay harness (which starts a host) wire machines and adapters together.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(host|cli|replay)/|^src/index\\.ts$' },
      to: { path: '^(adapters|machines)/|^src/(host|cli)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      // The status page's scripts import uPlot by the URL the HTTP adapter serves it at, not by a file path.
      from: { pathNot: '^adapters/http/page/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Deliberate violations that test/unit/architecture-rules.test.ts checks these rules against.
    exclude: { path: '^test/fixtures/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['source', 'import', 'require', 'node', 'default', 'types'] },
  },
};
