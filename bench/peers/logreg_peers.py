"""Peer of nnlab's multinomial logistic regression on MNIST: scikit-learn's LogisticRegression
(lbfgs, multinomial, its default C = 1 and max_iter = 100) on pixels scaled to [0, 1]. Prints one
JSON line in the bench result format: the best fit wall time in seconds of `--repeat` runs (data
already in memory), the test accuracy and the peak RSS; {"missing": ...} without scikit-learn.
  /usr/bin/python3 bench/peers/logreg_peers.py [--train N] [--test M] [--threads T] [--repeat R]"""
import argparse
import json
import resource
import time
import warnings

import numpy as np

from common import mnist, split_args


def main():
    ap = argparse.ArgumentParser()
    a = split_args(ap)
    try:
        import sklearn
        from sklearn.linear_model import LogisticRegression
    except ImportError as e:
        print(json.dumps({"missing": f"scikit-learn is not installed ({e}); Debian package python3-sklearn"}))
        return
    xtr, ytr = mnist("train")
    xte, yte = mnist("test")
    xtr = xtr[: a.train].reshape(a.train, -1).astype(np.float64) / 255
    xte = xte[: a.test].reshape(a.test, -1).astype(np.float64) / 255
    ytr, yte = ytr[: a.train], yte[: a.test]
    runs, clf = [], None
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lbfgs stops at max_iter = 100 (ConvergenceWarning), as usual
            clf = LogisticRegression(solver="lbfgs", n_jobs=a.threads).fit(xtr, ytr)
        runs.append(time.perf_counter() - t0)
    accuracy = float((clf.predict(xte) == yte).mean())
    print(json.dumps({
        "value": min(runs), "unit": "s", "runs_s": runs, "accuracy": accuracy, "iterations": int(clf.n_iter_[0]),
        "note": f"test accuracy {100 * accuracy:.2f}% after {int(clf.n_iter_[0])} lbfgs iterations",
        "threads": a.threads, "version": sklearn.__version__, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
