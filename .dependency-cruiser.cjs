// The arrows that must never exist in lib/ (ARCHITECTURE.md: engine <- library <- application).
// `npm run lint:imports` runs this in CI; test/infra/import-rules.test.ts plants a violation and
// checks that it fails.
const LIBRARY = '^lib/(nn|optim|models|data|io|train|ensemble|attacks|metrics|viz|report|explain|selftest|bench)/';
const APPLICATION = '^lib/(studies/|cli/|cli\\.ts$|index\\.ts$)';

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'files must not import each other in a loop', from: { path: '^lib/' }, to: { circular: true } },
    {
      name: 'only-the-engine-loads-the-addon',
      severity: 'error',
      comment: 'only lib/core calls the native loader; everything else goes through ops (autograd, scopes, typed errors). The public index re-exports it for power users.',
      from: { path: '^lib/', pathNot: '^lib/(core/|index\\.ts$)' },
      to: { path: '^lib/core/(native\\.ts|native-types/)' },
    },
    {
      name: 'the-engine-stands-alone',
      severity: 'error',
      comment: 'lib/core knows nothing of the library or the application',
      from: { path: '^lib/core/' },
      to: { path: '^lib/', pathNot: '^lib/core/' },
    },
    {
      name: 'the-library-knows-no-application',
      severity: 'error',
      comment: 'library code never imports studies, the CLI or the public index (which re-exports it: a cycle)',
      from: { path: LIBRARY },
      to: { path: APPLICATION },
    },
    {
      name: 'ensembles-do-not-borrow-the-training-loop',
      severity: 'error',
      comment: 'one training loop in lib/train; batched ensembles plug a step into it rather than importing its pieces',
      from: { path: '^lib/ensemble/' },
      to: { path: '^lib/train/' },
    },
    {
      name: 'the-native-loader-knows-no-tensor',
      severity: 'error',
      from: { path: '^lib/core/(native\\.ts|native-types/)' },
      to: { path: '^lib/core/(tensor|ops/|autograd/|scope)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
