// What the seed-002 studies (mlp, autoencoder) and ensemble-regression share: the run's setup
// without the seed-000 MNIST pipeline (their images are plain [0, 1] pixels, flattened), the
// data sets as the report used them, an epoch progress bar, and the "report says / nnlab gets" table.
import { data, manualSeed, ops, resolveDevice, tidy } from '../../index.js';
import type { Device, Tensor } from '../../index.js';
import { Progress } from '../../train/progress.js';
import { RunFolder } from '../../report/run-folder.js';
import { BaseConfig, checkLimits, RunHooks, stderrLog } from './common.js';

export interface PlainRun {
  folder: RunFolder;
  device: Device;
  log: (line: string) => void;
  /** Epoch progress: a bar on a terminal, a line every `every` epochs otherwise. */
  epochProgress: (label: string, epochs: number, every: number) => (epoch: number, loss: number) => Promise<void>;
}

/** Creates the run folder, resolves the device, seeds the default generator and writes config.json. */
export function startPlainRun(study: string, c: BaseConfig, hooks: RunHooks, config: Record<string, unknown>): PlainRun {
  checkLimits(c);
  const log = hooks.log ?? stderrLog;
  const folder = new RunFolder(study, c.out);
  const device = resolveDevice(c.device, log);
  manualSeed(c.seed);
  folder.writeConfig({ ...c, ...config, out: folder.dir }, device);
  const progress = new Progress(process.stderr, !hooks.log);
  const epochProgress = (label: string, epochs: number, every: number) => async (epoch: number, loss: number) => {
    progress.update(label, epoch + 1, epochs, `loss ${loss.toFixed(4)}`);
    if ((epoch + 1) % every === 0 || epoch + 1 === epochs) {
      progress.line(`${label}: epoch ${epoch + 1}/${epochs}, train loss ${loss.toFixed(5)}`);
      // Lets signals and the progress output through on long runs.
      await new Promise((r) => setImmediate(r));
    }
  };
  return { folder, device, log: (l) => progress.line(l), epochProgress };
}

export interface FlatSplit {
  /** float32 [n, 784], pixels in [0, 1], on the run's device. */
  x: Tensor;
  /** int32 labels [n] on the run's device. */
  y: Tensor;
  labels: Int32Array;
  /** Raw uint8 pixels [n * 784] for image grids. */
  pixels: Uint8Array;
  n: number;
}

export interface FlatImages {
  train: FlatSplit;
  test: FlatSplit;
  source: string;
  dispose(): void;
}

function flatSplit(set: data.ImageSet, limit: number | undefined, device: Device): FlatSplit {
  const n = Math.min(limit ?? set.images.shape[0], set.images.shape[0]);
  const img = n < set.images.shape[0] ? data.rowsOf(set.images, 0, n) : set.images;
  const lab = n < set.labels.shape[0] ? data.rowsOf(set.labels, 0, n) : set.labels;
  const x = tidy(() => ops.to(ops.reshape(data.toUnitFloat(img), [n, 784]), device).keep());
  const y = tidy(() => ops.to(ops.clone(lab), device).keep());
  return {
    x,
    y,
    labels: Int32Array.from(lab.data() as Int32Array),
    pixels: Uint8Array.from(img.data() as Uint8Array),
    n,
  };
}

/** The first trainLimit / testLimit images of 'mnist' or 'fashion' as flat [0, 1] pixels (no normalisation, as in the report). */
export function loadFlatImages(name: 'mnist' | 'fashion', o: { trainLimit?: number; testLimit?: number; device: Device }): FlatImages {
  const ds = data.loadDataset(name);
  try {
    const train = flatSplit(ds.train, o.trainLimit, o.device),
      test = flatSplit(ds.test, o.testLimit, o.device);
    return {
      train,
      test,
      source: ds.train.source,
      dispose: () => [train.x, train.y, test.x, test.y].forEach((t) => t.dispose()),
    };
  } finally {
    [ds.train.images, ds.train.labels, ds.test.images, ds.test.labels].forEach((t) => t.dispose());
  }
}

export interface ReportRow {
  quantity: string;
  report: string;
  nnlab: string;
}

/** The seed report's own numbers beside ours, as the table report.html opens with. */
export function addReportTable(folder: RunFolder, preset: string, rows: ReportRow[]): void {
  folder.table(
    'report_vs_nnlab',
    {
      title: `Report says / nnlab gets (${preset} preset)`,
      columns: ['quantity', 'report says', 'nnlab gets'],
      rows: rows.map((r) => [r.quantity, r.report, r.nnlab]),
    },
    preset === 'quick' ? 'a --quick run: fewer epochs than the report, so its numbers are not the reproduction' : '',
  );
}
