// Trains the seed-000 ensemble members once into a cache folder, exactly as the studies
// (noise, ensemble-noise, ood, rotation) load them, so that the studies find them cached:
// the full MNIST pipeline (loadResnetData with split seed 0), SEED000_MEMBERS with `--epochs E`.
//   NNLAB_CACHE_DIR=/work/cache node scripts/train-members.mjs --epochs 3 [--seeds 0,1,2]
// (needs dist/: npx tsc -p tsconfig.json). One member after another; each is on disk when done.
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const { resolveDevice } = await import(new URL('../dist/index.js', import.meta.url).href);
const { loadResnetData } = await import(new URL('../dist/data/resnet-data.js', import.meta.url).href);
const { seed000Members, SEED000_MEMBERS, defaultCacheDir } = await import(
  new URL('../dist/studies/shared/resnet-members.js', import.meta.url).href
);

const epochs = Number(arg('epochs', SEED000_MEMBERS.train.epochs));
const seeds = arg('seeds') ? String(arg('seeds')).split(',').map(Number) : SEED000_MEMBERS.seeds;
const log = (s) => process.stderr.write(`[${new Date().toISOString()}] ${s}\n`);
const device = resolveDevice('auto', log);
const d = loadResnetData({ dataset: 'mnist', splitSeed: 0, device });
log(`data: ${d.train.n} train, ${d.val.n} val, ${d.test.n} test; cache ${defaultCacheDir()}; ${seeds.length} members x ${epochs} epochs`);
const t0 = performance.now();
const members = await seed000Members(
  d,
  { seeds, train: { ...SEED000_MEMBERS.train, epochs } },
  { device, cacheDir: defaultCacheDir(), log },
);
for (const m of members) {
  log(
    `member seed ${m.seed}: best epoch ${m.meta.bestEpoch}, val acc ${(100 * m.meta.val.acc).toFixed(2)}%, test acc ${(100 * m.meta.test.acc).toFixed(2)}%, test NLL ${m.meta.test.loss.toFixed(4)}${m.cached ? ' (cached)' : ''}`,
  );
  m.model.dispose();
}
log(`done in ${((performance.now() - t0) / 60000).toFixed(1)} min`);
d.dispose();
