"""PyTorch peer of bench/resnet.mjs: torchvision's resnet18 (fc 512->10) on MNIST resized to 32x32
and replicated to 3 channels, normalised.

  torch_resnet.py --only train --batch 512 --steps S --threads T   Adam lr 1e-4 wd 1e-4, 1 warm-up step
  torch_resnet.py --only infer --images N --threads T              batch 1000
  torch_resnet.py --only conv --layer I --op forward|backward --batch B --reps R --threads T
prints one JSON line in the bench result format (value, unit, peak_rss_mb)."""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(__file__))
from common import median_ms, mnist, torch_args  # noqa: E402

# (C, K, kernel, stride, pad, H): bench/resnet.mjs CONV_LAYERS, same order.
CONV_LAYERS = [(3, 64, 7, 2, 3, 32), (64, 64, 3, 1, 1, 8), (128, 128, 3, 1, 1, 4), (256, 256, 3, 1, 1, 2),
               (512, 512, 3, 1, 1, 1)]


def resnet_input(split, n):
    xi, yi = mnist(split)
    x = torch.from_numpy(xi[:n].astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    x = (x - x.mean()) / x.std()
    x = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False).expand(-1, 3, -1, -1).contiguous()
    return x, torch.from_numpy(yi[:n].astype(np.int64))


def conv(a):
    c, k, r, s, p, h = CONV_LAYERS[a.layer]
    x, w = torch.randn(a.batch, c, h, h), torch.randn(k, c, r, r)
    y = F.conv2d(x, w, None, s, p)
    dy = torch.randn(y.shape)
    mask = [a.layer != 0, True, False]  # the stem's input needs no gradient

    def fwd():
        F.conv2d(x, w, None, s, p)

    def bwd():
        torch.ops.aten.convolution_backward(dy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)

    with torch.no_grad():
        return {"value": median_ms(fwd if a.op == "forward" else bwd, a.reps, warmup=2), "unit": "ms"}


def train(a):
    model = torchvision.models.resnet18(num_classes=10)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=1e-4)
    x, y = resnet_input("train", (a.steps + 1) * a.batch)
    model.train()
    seconds = 0.0
    for s in range(a.steps + 1):  # step 0 is the warm-up
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x[s * a.batch : (s + 1) * a.batch]), y[s * a.batch : (s + 1) * a.batch])
        loss.backward()
        opt.step()
        loss.item()
        if s > 0:
            seconds += time.perf_counter() - t0
    return {"value": a.steps * a.batch / seconds, "unit": "images/s"}


def infer(a):
    model = torchvision.models.resnet18(num_classes=10).eval()
    x, y = resnet_input("test", a.images)
    with torch.no_grad():
        model(x[:100])  # warm-up
        t0 = time.perf_counter()
        correct = 0
        for i in range(0, len(x), 1000):
            correct += (model(x[i : i + 1000]).argmax(1) == y[i : i + 1000]).sum().item()
        return {"value": len(x) / (time.perf_counter() - t0), "unit": "images/s"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["train", "infer", "conv"], required=True)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--layer", type=int, default=0)
    ap.add_argument("--op", choices=["forward", "backward"], default="forward")
    ap.add_argument("--reps", type=int, default=10)
    a = torch_args(ap, threads=2)
    r = {"train": train, "infer": infer, "conv": conv}[a.only](a)
    print(json.dumps({**r, "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "torchvision": torchvision.__version__,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
