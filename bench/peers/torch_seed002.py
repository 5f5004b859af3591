"""PyTorch peer of bench/seed002.mjs: epochs of the seed-002 studies' training loops.

  mlp:          784-100 sigmoid-10, cross-entropy summed over the batch, SGD lr 1e-4, batch 100, 10k MNIST images
  autoencoder:  784-128-32-2-32-128-784, TanH between layers, Sigmoid last, MSE, SGD lr 0.5, batch 2048, 8000 FashionMNIST images

  python3 bench/peers/torch_seed002.py --model mlp|autoencoder --threads T [--epochs E]
prints one JSON line in the bench result format: images/s of the median epoch after one warm-up epoch."""
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
from common import mnist, read_idx, torch_args  # noqa: E402

FASHION = os.environ.get("NNLAB_FASHION_DIR", "/usr/share/datasets/fashion-mnist")
AE_LAYERS = [784, 128, 32, 2, 32, 128, 784]


def autoencoder():
    layers = []
    for i, out in enumerate(AE_LAYERS[1:]):
        layers.append(nn.Linear(AE_LAYERS[i], out))
        # TanH between layers, none on the latent code, Sigmoid at the end (lib/studies/autoencoder.ts)
        if i < len(AE_LAYERS) - 2 and i != 2:
            layers.append(nn.Tanh())
    layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["mlp", "autoencoder"], required=True)
    ap.add_argument("--epochs", type=int, default=7)
    a = torch_args(ap, threads=1)
    if a.model == "mlp":
        xi, yi = mnist("train")
        n, batch = 10000, 100
        x = torch.from_numpy(xi[:n].reshape(n, 784).astype(np.float32) / 255.0)
        y = torch.from_numpy(yi[:n].astype(np.int64))
        model = nn.Sequential(nn.Linear(784, 100), nn.Sigmoid(), nn.Linear(100, 10))
        opt = torch.optim.SGD(model.parameters(), lr=1e-4)
        loss_fn = lambda xb, yb: nn.functional.cross_entropy(model(xb), yb, reduction="sum")  # noqa: E731
    else:
        xi = read_idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz"))
        n, batch = 8000, 2048
        x = torch.from_numpy(xi[:n].reshape(n, 784).astype(np.float32) / 255.0)
        y = x
        model = autoencoder()
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        loss_fn = lambda xb, yb: nn.functional.mse_loss(model(xb), yb)  # noqa: E731
    # CPU time per epoch too: on a loaded machine the wall time mostly measures waiting for a core.
    seconds, cpu, loss_sum = [], [], 0.0
    for epoch in range(a.epochs + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        perm = torch.randperm(n)
        xs, ys = x[perm], y[perm]
        loss_sum = 0.0
        for i in range(0, n, batch):
            opt.zero_grad()
            loss = loss_fn(xs[i : i + batch], ys[i : i + batch])
            loss.backward()
            opt.step()
            loss_sum += loss.item()
        if epoch > 0:
            seconds.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    epoch_s = statistics.median(seconds)
    print(json.dumps({"value": n / epoch_s, "unit": "images/s", "epoch_s": epoch_s, "cpu_epoch_s": statistics.median(cpu), "epochs_timed": len(seconds),
                      "threads": torch.get_num_threads(), "torch": torch.__version__, "last_epoch_loss": loss_sum,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
