// The multimodal study's classifiers. Every model reads the same packed row per pair, the 784
// normalised pixels followed by the mels x frames log-mel values, so one DataLoader and the
// library's fit / evaluate serve them all; each model takes the part it is built for.
import { RandomGenerator, nn, ops, Tensor } from '../../index.js';

export interface PairShape {
  mels: number;
  frames: number;
}

export const IMAGE_VALUES = 28 * 28;

const imageOf = (x: Tensor) => ops.reshape(ops.slice(x, 1, 0, IMAGE_VALUES), [x.shape[0], 1, 28, 28]);
const audioOf = (x: Tensor, s: PairShape) => ops.reshape(ops.slice(x, 1, IMAGE_VALUES), [x.shape[0], 1, s.mels, s.frames]);

const convOut = (n: number, k: number, stride: number) => Math.floor((n - k) / stride) + 1;

/** A small MNIST encoder: Conv(1->16,5) ReLU MaxPool2 Conv(16->32,5) ReLU MaxPool2 Flatten Linear(512->64) ReLU. */
function imageEncoder(g: RandomGenerator): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 5, { generator: g }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 5, { generator: g }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * 4 * 4, 64, { generator: g }),
    new nn.ReLU(),
  );
}
const IMAGE_FEATURES = 64;

/** The seed report's audio CNN without its classifier: Conv(1->10,7x7,stride 3) ReLU Conv(10->10,5x5,stride 2) ReLU Flatten. */
function audioEncoder(g: RandomGenerator): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 10, 7, { stride: 3, generator: g }),
    new nn.ReLU(),
    new nn.Conv2d(10, 10, 5, { stride: 2, generator: g }),
    new nn.ReLU(),
    new nn.Flatten(),
  );
}
const audioFeatures = (s: PairShape) => 10 * convOut(convOut(s.mels, 7, 3), 5, 2) * convOut(convOut(s.frames, 7, 3), 5, 2);

export class ImageOnly extends nn.Module {
  readonly net: nn.Sequential;
  constructor(g: RandomGenerator) {
    super();
    this.net = this.registerModule('net', new nn.Sequential(imageEncoder(g), new nn.Linear(IMAGE_FEATURES, 10, { generator: g })));
  }
  forward(x: Tensor): Tensor {
    return this.net.forward(imageOf(x));
  }
}

/** The report's audio CNN: the encoder then Linear(->10). */
export class AudioOnly extends nn.Module {
  readonly net: nn.Sequential;
  constructor(
    g: RandomGenerator,
    readonly shape: PairShape,
  ) {
    super();
    this.net = this.registerModule('net', new nn.Sequential(audioEncoder(g), new nn.Linear(audioFeatures(shape), 10, { generator: g })));
  }
  forward(x: Tensor): Tensor {
    return this.net.forward(audioOf(x, this.shape));
  }
}

/** Early fusion: the raw pixels and log-mel values joined into one vector, then an MLP. */
export class EarlyFusion extends nn.Module {
  readonly net: nn.Sequential;
  constructor(g: RandomGenerator, shape: PairShape) {
    super();
    this.net = this.registerModule(
      'net',
      new nn.Sequential(
        new nn.Linear(IMAGE_VALUES + shape.mels * shape.frames, 128, { generator: g }),
        new nn.ReLU(),
        new nn.Linear(128, 10, { generator: g }),
      ),
    );
  }
  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
}

/** Joint (intermediate) fusion: each modality's encoder, features concatenated, a joint head; trained end to end. */
export class JointFusion extends nn.Module {
  readonly image: nn.Sequential;
  readonly audio: nn.Sequential;
  readonly head: nn.Sequential;
  constructor(
    g: RandomGenerator,
    readonly shape: PairShape,
  ) {
    super();
    this.image = this.registerModule('image', imageEncoder(g));
    this.audio = this.registerModule('audio', audioEncoder(g));
    this.head = this.registerModule(
      'head',
      new nn.Sequential(
        new nn.Linear(IMAGE_FEATURES + audioFeatures(shape), 64, { generator: g }),
        new nn.ReLU(),
        new nn.Linear(64, 10, { generator: g }),
      ),
    );
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(ops.concat([this.image.forward(imageOf(x)), this.audio.forward(audioOf(x, this.shape))], 1));
  }
}
