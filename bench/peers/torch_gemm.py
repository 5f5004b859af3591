"""PyTorch peer for bench/gemm.mjs: times torch.mm on the same shapes as nnlab.

Two modes:
  torch_gemm.py M,N,K [M,N,K ...] [--reps R]   prints one JSON object with a row per shape
  torch_gemm.py --serve                        reads "M N K REPS [OPS INNER]" lines, answers one JSON
                                               line each, so the caller can interleave its own runs
                                               with ours; OPS names the transposes ("nt": a @ b.t(),
                                               default "nn"), INNER products make one timed sample
"""
import json
import os
import sys
import time

import torch


def info():
    return {
        "torch": torch.__version__,
        "intraop_threads": torch.get_num_threads(),
        "blas": torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0],
        "openblas_env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ},
    }


_cache = {}


def time_mm(m, n, k, reps, ops="nn", inner=1):
    key = (m, n, k, ops)
    if key not in _cache:
        g = torch.Generator().manual_seed(0)
        _cache.clear()  # keep one shape's operands alive at a time
        a = torch.rand(*((k, m) if ops[0] == "t" else (m, k)), generator=g) * 2 - 1
        b = torch.rand(*((n, k) if ops[1] == "t" else (k, n)), generator=g) * 2 - 1
        # Transposed views, as autograd hands them to mm: BLAS reads them transposed, no copy.
        _cache[key] = (a.t() if ops[0] == "t" else a, b.t() if ops[1] == "t" else b)
    a, b = _cache[key]
    for _ in range(2):
        torch.mm(a, b)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            torch.mm(a, b)
        times.append((time.perf_counter() - t0) / inner)
    times.sort()
    med = times[len(times) // 2]
    return {"m": m, "n": n, "k": k, "ops": ops, "ms": med * 1e3, "gflops": 2.0 * m * n * k / med / 1e9}


def main(argv):
    if "--serve" in argv:
        print(json.dumps({"ready": True, **info()}), flush=True)
        for line in sys.stdin:
            parts = line.split()
            if not parts:
                continue
            m, n, k, reps = (int(x) for x in parts[:4])
            ops = parts[4] if len(parts) > 4 else "nn"
            inner = int(parts[5]) if len(parts) > 5 else 1
            print(json.dumps(time_mm(m, n, k, reps, ops, inner)), flush=True)
        return
    reps = 5
    if "--reps" in argv:
        reps = int(argv[argv.index("--reps") + 1])
    shapes = [tuple(int(x) for x in a.split(",")) for a in argv if a.count(",") == 2] or [(1024,) * 3, (2048,) * 3]
    print(json.dumps({**info(), "rows": [time_mm(m, n, k, reps) for m, n, k in shapes]}))


if __name__ == "__main__":
    main(sys.argv[1:])
