"""PyTorch CPU peer for bench/conv.mjs: times conv2d forward, backward-input and
backward-weight for the seed CNN's layers and prints one JSON object per line.
Usage: python3 bench/peers/torch_conv.py [--quick] [--threads N]"""
import json
import sys
import time

import torch

LAYERS = [
    # name, x shape, w shape, stride, padding, needs input grad
    ("conv1", (128, 1, 28, 28), (32, 1, 3, 3), 1, 0, False),
    ("conv2", (128, 32, 13, 13), (64, 32, 3, 3), 1, 0, True),
]


def median_ms(fn, reps, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def main():
    quick = "--quick" in sys.argv
    if "--threads" in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    reps = 5 if quick else 25
    torch.manual_seed(0)
    for name, xs, ws, stride, pad, need_dx in LAYERS:
        x = torch.randn(xs)
        w = torch.randn(ws)
        b = torch.randn(ws[0])
        y = torch.nn.functional.conv2d(x, w, b, stride, pad)
        dy = torch.randn(y.shape)
        cfg = dict(stride=[stride] * 2, padding=[pad] * 2, dilation=[1, 1], transposed=False,
                   output_padding=[0, 0], groups=1)

        def fwd():
            torch.nn.functional.conv2d(x, w, b, stride, pad)

        def bwd(mask):
            def f():
                torch.ops.aten.convolution_backward(dy, x, w, [ws[0]], cfg["stride"], cfg["padding"],
                                                    cfg["dilation"], False, [0, 0], 1, mask)
            return f

        rows = [("forward", fwd), ("backward-weight", bwd([False, True, False]))]
        if need_dx:
            rows.insert(1, ("backward-input", bwd([True, False, False])))
        with torch.no_grad():
            for op, fn in rows:
                print(json.dumps({"layer": name, "op": op, "ms": median_ms(fn, reps),
                                  "threads": torch.get_num_threads()}), flush=True)


if __name__ == "__main__":
    main()
