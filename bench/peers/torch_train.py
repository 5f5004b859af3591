"""PyTorch peer for the seed-CNN benchmarks: one training epoch (Adam 1e-3) and inference.

  python3 bench/peers/torch_train.py --threads T --limit N --batch B --infer-batch 1000
prints one JSON line: train images/s, epoch seconds, test accuracy, inference images/s."""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from common import mnist, seed_cnn  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=60000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--infer-batch", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xi, yi = mnist("train")
    x = torch.from_numpy(xi[: a.limit].astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    mean, std = x.mean().item(), x.std().item()
    x = (x - mean) / std
    y = torch.from_numpy(yi[: a.limit].astype(np.int64))
    xt, yt = mnist("test")
    xt = (torch.from_numpy(xt.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28) - mean) / std
    yt = torch.from_numpy(yt.astype(np.int64))
    model = seed_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), a.batch):
            idx = perm[i : i + a.batch]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    train_s = (time.perf_counter() - t0) / a.epochs
    model.eval()
    with torch.no_grad():
        model(xt[: a.infer_batch])
        t0 = time.perf_counter()
        correct = 0
        for i in range(0, len(xt), a.infer_batch):
            correct += (model(xt[i : i + a.infer_batch]).argmax(1) == yt[i : i + a.infer_batch]).sum().item()
        infer_s = time.perf_counter() - t0
    print(json.dumps({
        "threads": a.threads, "epochs": a.epochs, "train_images_per_s": len(x) / train_s, "epoch_s": train_s,
        "test_acc": correct / len(xt), "infer_images_per_s": len(xt) / infer_s, "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
