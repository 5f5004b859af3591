"""Peers of nnlab's exact k-NN on MNIST (raw pixels, Euclidean, uniform votes): faiss IndexFlatL2
(exact float32 search) and scikit-learn's KNeighborsClassifier, both on every core. Prints one
JSON line: per peer the best wall time of `--repeat` runs (index/fit + search/predict, data
already in memory) and its test accuracy.
  /usr/bin/python3 bench/peers/knn_peers.py [--train N] [--test M] [--k K] [--threads T] [--repeat R]"""
import argparse
import json
import os
import time

import numpy as np

from common import mnist


def vote(neighbour_labels, classes=10):
    """Most votes; a tie goes to the smallest label (as nnlab and scikit-learn do)."""
    counts = np.zeros((neighbour_labels.shape[0], classes), dtype=np.int64)
    for j in range(neighbour_labels.shape[1]):
        np.add.at(counts, (np.arange(neighbour_labels.shape[0]), neighbour_labels[:, j]), 1)
    return counts.argmax(axis=1)


def best_of(repeat, fn):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=60000)
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    xtr, ytr = mnist("train")
    xte, yte = mnist("test")
    xtr = np.ascontiguousarray(xtr[: a.train].reshape(a.train, -1), dtype=np.float32)
    ytr = ytr[: a.train].astype(np.int64)
    xte = np.ascontiguousarray(xte[: a.test].reshape(a.test, -1), dtype=np.float32)
    yte = yte[: a.test].astype(np.int64)
    out = {"train": a.train, "test": a.test, "k": a.k, "threads": a.threads}

    try:
        import faiss

        faiss.omp_set_num_threads(a.threads)

        def run_faiss():
            index = faiss.IndexFlatL2(xtr.shape[1])
            index.add(xtr)
            _, idx = index.search(xte, a.k)
            return idx

        s, idx = best_of(a.repeat, run_faiss)
        out["faiss"] = {"seconds": s, "accuracy": float((vote(ytr[idx]) == yte).mean()), "version": faiss.__version__}
    except ImportError as e:
        out["faiss"] = {"error": str(e)}

    try:
        import sklearn
        from sklearn.neighbors import KNeighborsClassifier

        def run_sklearn():
            clf = KNeighborsClassifier(n_neighbors=a.k, n_jobs=a.threads)
            clf.fit(xtr, ytr)
            return clf.predict(xte)

        s, pred = best_of(a.repeat, run_sklearn)
        out["sklearn"] = {"seconds": s, "accuracy": float((pred == yte).mean()), "version": sklearn.__version__}
    except ImportError as e:
        out["sklearn"] = {"error": str(e)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
