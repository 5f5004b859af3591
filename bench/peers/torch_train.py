"""PyTorch peer of bench/train.mjs: a training epoch (Adam 1e-3) or inference (batch 1000 over the
10k test images) of the seed CNN or of the 784-200-200-10 MLP on real MNIST.

  python3 bench/peers/torch_train.py --model cnn|mlp --only train|infer --threads T [--limit N]
prints one JSON line in the bench result format (value in images/s, peak_rss_mb)."""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from common import mnist, seed_cnn, torch_args  # noqa: E402


def mlp(hidden=200):
    """The MLP of `nnlab train --model mlp` (lib/models/seed-cnn.ts)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, 10))


def normalized(images, mean=None, std=None):
    x = torch.from_numpy(images.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    if mean is None:
        mean, std = x.mean().item(), x.std().item()
    return (x - mean) / std


def train_epoch(model, x, y, batch):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    perm = torch.randperm(len(x))
    loss_sum = 0.0
    for i in range(0, len(x), batch):
        idx = perm[i : i + batch]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        loss_sum += loss.item() * len(idx)
    seconds = time.perf_counter() - t0
    return {"value": len(x) / seconds, "epoch_s": seconds, "train_loss": loss_sum / len(x)}


def infer(model, x, y, batch, passes=5):
    """Images/s of the median of `passes` passes over x (bench/train.mjs times nnlab the same way)."""
    model.eval()
    rates = []
    with torch.no_grad():
        model(x[:batch])  # warm-up
        for _ in range(passes):
            t0 = time.perf_counter()
            correct = 0
            for i in range(0, len(x), batch):
                correct += (model(x[i : i + batch]).argmax(1) == y[i : i + batch]).sum().item()
            rates.append(len(x) / (time.perf_counter() - t0))
    return {"value": statistics.median(rates), "passes": [round(r) for r in rates]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    ap.add_argument("--only", choices=["train", "infer"], required=True)
    ap.add_argument("--limit", type=int, default=60000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--infer-batch", type=int, default=1000)
    a = torch_args(ap, threads=2)
    model = seed_cnn() if a.model == "cnn" else mlp()
    if a.only == "train":
        xi, yi = mnist("train")
        r = train_epoch(model, normalized(xi[: a.limit]), torch.from_numpy(yi[: a.limit].astype(np.int64)), a.batch)
    else:
        xt, yt = mnist("test")
        r = infer(model, normalized(xt), torch.from_numpy(yt.astype(np.int64)), a.infer_batch)
    print(json.dumps({**r, "unit": "images/s", "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
