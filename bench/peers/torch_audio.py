"""PyTorch peer of bench/audio.mjs.

  --only logmel: log-mel spectrograms of 1,000 one-second 8 kHz clips in one batched call:
    torchaudio.transforms.MelSpectrogram(8000) (n_fft 400, hop 200, 128 HTK bands, power 2) then
    10 log10(clamp(x, 1e-10)); without torchaudio (Debian ships none) the same pipeline from
    torch.stft, the torchaudio mel matrix (scripts/fixtures/spectral.py) and a matmul. Value: median ms.
  --only train: one epoch of the audio CNN (SGD lr 1e-3, momentum 0.9, batch 16) on 2,250 inputs
    [1, 128, 41]. Value: clips/s, the best of --epochs epochs.
prints one JSON line in the bench result format (value, unit, peak_rss_mb)."""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "fixtures"))
from spectral import melscale_fbanks  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from common import torch_args  # noqa: E402


def logmel_fn():
    try:
        import torchaudio

        mel = torchaudio.transforms.MelSpectrogram(sample_rate=8000)
        return (lambda x: 10.0 * torch.log10(torch.clamp(mel(x), min=1e-10))), f"torchaudio {torchaudio.__version__}"
    except ImportError:
        window = torch.hann_window(400)
        fb = melscale_fbanks(201, 0.0, 4000.0, 128, 8000)

        def f(x):
            spec = torch.stft(x, 400, hop_length=200, window=window, center=True, pad_mode="reflect",
                              return_complex=True).abs().pow(2)
            mel = torch.matmul(spec.transpose(-1, -2), fb).transpose(-1, -2)
            return 10.0 * torch.log10(torch.clamp(mel, min=1e-10))

        return f, "torch.stft + mel matrix (no torchaudio)"


def audio_cnn():
    return nn.Sequential(nn.Conv2d(1, 10, 7, stride=3), nn.ReLU(), nn.Conv2d(10, 10, 5, stride=2), nn.ReLU(),
                         nn.Flatten(), nn.Linear(760, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["logmel", "train"], required=True)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--epochs", type=int, default=3)
    a = torch_args(ap, threads=1)
    if a.only == "logmel":
        f, how = logmel_fn()
        x = 0.1 * torch.randn(1000, 8000)
        times = []
        with torch.no_grad():
            for r in range(a.reps + 2):
                t0 = time.perf_counter()
                y = f(x)
                times.append((time.perf_counter() - t0) * 1000)
        assert tuple(y.shape) == (1000, 128, 41), y.shape
        kept = sorted(times[2:])
        out = {"value": kept[len(kept) // 2], "unit": "ms", "runs_ms": kept, "how": how}
    else:
        x = torch.randn(2250, 1, 128, 41)
        y = torch.arange(2250) % 10
        model = audio_cnn()
        opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        epochs = []
        for _ in range(a.epochs):
            t0 = time.perf_counter()
            perm = torch.randperm(2250)
            for i in range(0, 2250, 16):
                idx = perm[i : i + 16]
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
                loss.item()
            epochs.append(time.perf_counter() - t0)
        out = {"value": 2250 / min(epochs), "unit": "clips/s", "epoch_s": epochs}
    out.update({"threads": a.threads, "version": torch.__version__,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
