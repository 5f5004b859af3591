"""Peers of nnlab's exact k-NN on MNIST (raw pixels, Euclidean, uniform votes), one per process:
faiss IndexFlatL2 (exact float32 search) or scikit-learn's KNeighborsClassifier, on `--threads`
cores. Prints one JSON line in the bench result format: the best wall time in seconds of
`--repeat` runs (index/fit + search/predict, data already in memory), the test accuracy and the
peak RSS; {"missing": ...} when the library is not installed.
  /usr/bin/python3 bench/peers/knn_peers.py --peer faiss|sklearn [--train N] [--test M] [--k K] [--threads T] [--repeat R]"""
import argparse
import json
import resource
import time

import numpy as np

from common import mnist, split_args

INSTALL = {"faiss": "python3-faiss", "sklearn": "python3-sklearn"}


def vote(neighbour_labels, classes=10):
    """Most votes; a tie goes to the smallest label (as nnlab and scikit-learn do)."""
    counts = np.zeros((neighbour_labels.shape[0], classes), dtype=np.int64)
    for j in range(neighbour_labels.shape[1]):
        np.add.at(counts, (np.arange(neighbour_labels.shape[0]), neighbour_labels[:, j]), 1)
    return counts.argmax(axis=1)


def faiss_predict(xtr, ytr, xte, k, threads):
    import faiss

    faiss.omp_set_num_threads(threads)

    def run():
        index = faiss.IndexFlatL2(xtr.shape[1])
        index.add(xtr)
        _, idx = index.search(xte, k)
        return vote(ytr[idx])

    return run, faiss.__version__


def sklearn_predict(xtr, ytr, xte, k, threads):
    import sklearn
    from sklearn.neighbors import KNeighborsClassifier

    def run():
        clf = KNeighborsClassifier(n_neighbors=k, n_jobs=threads)
        clf.fit(xtr, ytr)
        return clf.predict(xte)

    return run, sklearn.__version__


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", choices=["faiss", "sklearn"], required=True)
    ap.add_argument("--k", type=int, default=3)
    a = split_args(ap)
    try:
        make = faiss_predict if a.peer == "faiss" else sklearn_predict
        xtr, ytr = mnist("train")
        xte, yte = mnist("test")
        xtr = np.ascontiguousarray(xtr[: a.train].reshape(a.train, -1), dtype=np.float32)
        xte = np.ascontiguousarray(xte[: a.test].reshape(a.test, -1), dtype=np.float32)
        ytr, yte = ytr[: a.train].astype(np.int64), yte[: a.test].astype(np.int64)
        run, version = make(xtr, ytr, xte, a.k, a.threads)
    except ImportError as e:
        print(json.dumps({"missing": f"{a.peer} is not installed ({e}); Debian package {INSTALL[a.peer]}"}))
        return
    runs = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        pred = run()
        runs.append(time.perf_counter() - t0)
    accuracy = float((pred == yte).mean())
    print(json.dumps({
        "value": min(runs), "unit": "s", "runs_s": runs, "accuracy": accuracy, "note": f"test accuracy {100 * accuracy:.2f}%",
        "threads": a.threads, "version": version, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
