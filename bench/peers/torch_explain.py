"""PyTorch side of bench/explain.mjs: Grad-CAM with a forward and a full backward hook on the seed
CNN's module '4', maps resized to 28x28 (bilinear) and scaled to [0, 1]; and one batched occlusion
map (7x7 square at stride 1, batches of 256). Prints one JSON line."""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import mnist  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", choices=["gradcam-1000", "occlusion-28"], required=True)
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    try:
        import torch
        import torch.nn.functional as F
        from common import seed_cnn
    except ImportError as e:
        print(json.dumps({"missing": f"torch is not installed ({e}); Debian package python3-torch"}))
        return
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = seed_cnn().eval()
    xs, _ = mnist("test")
    x = (torch.from_numpy(xs[: a.images].astype(np.float32) / 255.0).reshape(-1, 1, 28, 28) - 0.1307) / 0.3081

    def gradcam():
        store = {}
        layer = model[4]
        h1 = layer.register_forward_hook(lambda m, i, o: store.__setitem__("a", o.detach()))
        h2 = layer.register_full_backward_hook(lambda m, gi, go: store.__setitem__("g", go[0].detach()))
        xin = x.clone().requires_grad_(True)
        logits = model(xin)
        model.zero_grad()
        logits.gather(1, logits.argmax(1, keepdim=True)).sum().backward()
        h1.remove()
        h2.remove()
        with torch.no_grad():
            w = store["g"].mean(dim=(2, 3), keepdim=True)
            cam = F.relu((w * store["a"]).sum(1, keepdim=True))
            up = F.interpolate(cam, size=(28, 28), mode="bilinear", align_corners=False).flatten(1)
            lo, hi = up.min(1, keepdim=True).values, up.max(1, keepdim=True).values
            maps = torch.where(hi > lo, (up - lo) / (hi - lo), torch.zeros_like(up))
        return f"mean map value {maps.mean().item():.4f}"

    def occlusion():
        img = x[:1]
        with torch.no_grad():
            base = F.softmax(model(img), 1)
            target = int(base.argmax())
            probs = []
            for s in range(0, 784, 256):
                batch = img.repeat(min(256, 784 - s), 1, 1, 1)
                for k, p in enumerate(range(s, min(784, s + 256))):
                    r, c = divmod(p, 28)
                    batch[k, :, max(0, r - 3):r + 4, max(0, c - 3):c + 4] = 0
                probs.append(F.softmax(model(batch), 1)[:, target])
            return f"min p {torch.cat(probs).min().item():.4f}"

    run = gradcam if a.workload == "gradcam-1000" else occlusion
    runs = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        note = run()
        runs.append(time.perf_counter() - t0)
    print(json.dumps({
        "value": min(runs), "unit": "s", "runs_s": runs, "note": note, "threads": a.threads, "version": torch.__version__,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
