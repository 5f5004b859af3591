"""PyTorch peer for bench/ensemble.mjs: trains the seed-CNN members one after another (one
epoch each over the first N MNIST training images, batch 128, Adam 1e-3, each member seeded)
and prints one JSON line in the bench result format: the total training time in seconds (value:
wall; cpu_seconds: all threads) and the peak RSS.

  /usr/bin/python3 bench/peers/torch_ensemble.py --threads T --images N --seeds 1,2,3,4,5,6,7"""
import argparse
import json
import os
import resource
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
    ap.add_argument("--images", type=int, default=12800)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seeds", default="1,2,3,4,5,6,7")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    seeds = [int(s) for s in a.seeds.split(",")]
    xi, yi = mnist("train")
    x = torch.from_numpy(xi[: a.images].astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    x = (x - x.mean()) / x.std(unbiased=False)
    y = torch.from_numpy(yi[: a.images].astype(np.int64))
    losses = []
    t0, c0 = time.perf_counter(), time.process_time()
    for seed in seeds:
        torch.manual_seed(seed)
        model = seed_cnn()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        perm = torch.randperm(len(x))
        total = 0.0
        for i in range(0, len(x), a.batch):
            idx = perm[i : i + a.batch]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(x))
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({
        "value": seconds, "unit": "s", "note": f"{cpu_seconds:.1f} s of CPU time (all threads)", "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": a.threads, "members": len(seeds), "images": a.images, "seconds": seconds, "cpu_seconds": cpu_seconds,
        "mean_train_loss": sum(losses) / len(losses), "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
