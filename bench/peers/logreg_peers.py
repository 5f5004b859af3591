"""Peer of nnlab's multinomial logistic regression on MNIST: scikit-learn's LogisticRegression
(lbfgs, multinomial, its default C = 1 and max_iter = 100) on pixels scaled to [0, 1]. Prints one
JSON line: the best fit wall time of `--repeat` runs (data already in memory) and test accuracy.
  /usr/bin/python3 bench/peers/logreg_peers.py [--train N] [--test M] [--threads T] [--repeat R]"""
import argparse
import json
import os
import time
import warnings

import numpy as np

from common import mnist


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=60000)
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    xtr, ytr = mnist("train")
    xte, yte = mnist("test")
    xtr = xtr[: a.train].reshape(a.train, -1).astype(np.float64) / 255
    xte = xte[: a.test].reshape(a.test, -1).astype(np.float64) / 255
    ytr, yte = ytr[: a.train], yte[: a.test]
    out = {"train": a.train, "test": a.test, "threads": a.threads}
    try:
        import sklearn
        from sklearn.linear_model import LogisticRegression

        best, clf = float("inf"), None
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # lbfgs stops at max_iter = 100 (ConvergenceWarning), as usual
                clf = LogisticRegression(solver="lbfgs", n_jobs=a.threads).fit(xtr, ytr)
            best = min(best, time.perf_counter() - t0)
        out["sklearn"] = {"seconds": best, "accuracy": float((clf.predict(xte) == yte).mean()),
                          "iterations": int(clf.n_iter_[0]), "version": sklearn.__version__}
    except ImportError as e:
        out["sklearn"] = {"error": str(e)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
