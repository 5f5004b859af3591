"""PyTorch CPU peer for bench/conv.mjs: times conv2d forward, backward-input and
backward-weight for the layers it is given and prints one JSON object per line.
Usage: python3 bench/peers/torch_conv.py --layers JSON [--quick] [--threads N]
JSON: a list of {layer, x, w, stride, pad, bias, needInputGrad} (bench/conv_layers.mjs)."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from common import median_ms  # noqa: E402

SEED_LAYERS = [  # the default when no --layers is given: the seed CNN's convs at batch 128
    {"layer": "conv1", "x": [128, 1, 28, 28], "w": [32, 1, 3, 3], "stride": 1, "pad": 0, "bias": True, "needInputGrad": False},
    {"layer": "conv2", "x": [128, 32, 13, 13], "w": [64, 32, 3, 3], "stride": 1, "pad": 0, "bias": True, "needInputGrad": True},
]


def reps_for(L, quick):
    """The repetition rule of bench/conv.mjs (about the same wall time per layer)."""
    x, w, s = L["x"], L["w"], L["stride"]
    flops = 2 * x[0] * w[0] * w[1] * w[2] * w[3] * (x[2] / s) * (x[3] / s)
    return max(3 if quick else 7, min(5 if quick else 25, round(20e9 / flops)))


def main():
    argv = sys.argv
    quick = "--quick" in argv
    if "--threads" in argv:
        torch.set_num_threads(int(argv[argv.index("--threads") + 1]))
    layers = json.loads(argv[argv.index("--layers") + 1]) if "--layers" in argv else SEED_LAYERS
    torch.manual_seed(0)
    for L in layers:
        xs, ws, stride, pad = L["x"], L["w"], L["stride"], L["pad"]
        reps = reps_for(L, quick)
        x = torch.randn(xs)
        w = torch.randn(ws)
        b = torch.randn(ws[0]) if L["bias"] else None
        y = torch.nn.functional.conv2d(x, w, b, stride, pad)
        dy = torch.randn(y.shape)
        bias_sizes = [ws[0]] if L["bias"] else None

        def fwd():
            torch.nn.functional.conv2d(x, w, b, stride, pad)

        def bwd(mask):
            def f():
                torch.ops.aten.convolution_backward(dy, x, w, bias_sizes, [stride] * 2, [pad] * 2, [1, 1], False,
                                                    [0, 0], 1, mask)
            return f

        rows = [("forward", fwd), ("backward-weight", bwd([False, True, False]))]
        if L["needInputGrad"]:
            rows.insert(1, ("backward-input", bwd([True, False, False])))
        with torch.no_grad():
            for op, fn in rows:
                print(json.dumps({"layer": L["layer"], "op": op, "ms": median_ms(fn, reps, warmup=3),
                                  "threads": torch.get_num_threads()}), flush=True)


if __name__ == "__main__":
    main()
