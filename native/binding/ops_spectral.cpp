// Spectral ops: STFT (complex or power), the torchaudio mel filter bank, mel projection and
// power to decibels; melSpectrogram chains the first three as torchaudio.transforms.MelSpectrogram.
// Features are inputs to the models here, so none of these has a backward.
#include <cmath>
#include <vector>

#include "args.h"
#include "device.h"
#include "errors.h"
#include "js_functions.h"
#include "../kernels/spectral_math.h"

namespace nn::binding {
namespace js_spectral {

constexpr int64_t kMaxFft = int64_t(1) << 20;

// The signals of x [L] or [B, L] and whether a batch axis must be dropped from the result.
struct Signals {
  int64_t batch, length;
  bool squeeze;
};

Signals signals(const Args& a, const Tensor& x) {
  if (x.dim() == 1) return {1, x.shape[0], true};
  if (x.dim() == 2) return {x.shape[0], x.shape[1], false};
  fail(ErrorCode::Shape, a.op, ": 'x' must be a signal [L] or a batch of signals [B, L], got shape ",
       shape_str(x.shape));
}

StftArgs stft_args(const Args& a, const Tensor& x, size_t first) {
  Signals s = signals(a, x);
  StftArgs st{};
  st.batch = s.batch;
  st.length = s.length;
  st.n_fft = a.integer(first, "nFft", 1, kMaxFft);
  st.hop = a.integer(first + 1, "hop", 1, kMaxFft);
  st.center = a.boolean(first + 2, "center");
  st.bins = st.n_fft / 2 + 1;
  if (st.center) {
    // torch.stft's reflect padding needs n_fft / 2 < length.
    if (st.length <= st.n_fft / 2)
      fail(ErrorCode::Shape, a.op, ": centred frames reflect-pad the signal by nFft / 2 = ", st.n_fft / 2,
           " samples, which needs signals longer than that; got length ", st.length, " (shape ", shape_str(x.shape),
           ")");
    st.frames = 1 + st.length / st.hop;
  } else {
    if (st.length < st.n_fft)
      fail(ErrorCode::Shape, a.op, ": uncentred frames need signals of at least nFft = ", st.n_fft,
           " samples; got length ", st.length, " (shape ", shape_str(x.shape), ")");
    st.frames = 1 + (st.length - st.n_fft) / st.hop;
  }
  return st;
}

Tensor hann_window(Backend& b, int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) w[i] = hann_periodic(i, n);
  Tensor t = empty(b, {n}, DType::F32);
  b.copy_from_host(t.storage->data, w.data(), w.size() * sizeof(float));
  return t;
}

Tensor run_stft(const Args& a, const Tensor& x, const StftArgs& st, bool power) {
  Signals s = signals(a, x);
  Shape shape = s.squeeze ? Shape{st.bins, st.frames} : Shape{st.batch, st.bins, st.frames};
  if (!power) shape.push_back(2);
  Tensor y = empty(x.backend(), shape, DType::F32);
  Tensor window = hann_window(x.backend(), st.n_fft);
  x.backend().stft(st, x.f32(), window.f32(), y.f32(), power);
  return y;
}

struct MelRange {
  double sample_rate, f_min, f_max;
};

// sampleRate, fMin, fMax (fMax 0 or absent: sampleRate // 2, torchaudio's default).
MelRange mel_range(const Args& a, size_t first) {
  MelRange r{a.number(first, "sampleRate"), a.number(first + 1, "fMin"),
             a.has(first + 2) ? a.number(first + 2, "fMax") : 0.0};
  if (!(r.sample_rate > 0) || !std::isfinite(r.sample_rate))
    fail(ErrorCode::Argument, a.op, ": 'sampleRate' must be a positive number of Hz, got ", r.sample_rate);
  if (r.f_max == 0) r.f_max = std::floor(r.sample_rate / 2);
  if (!(r.f_min >= 0) || !(r.f_max > r.f_min) || !std::isfinite(r.f_max))
    fail(ErrorCode::Argument, a.op, ": needs 0 <= fMin < fMax, got fMin ", r.f_min, " and fMax ", r.f_max);
  return r;
}

Tensor filterbank(Backend& b, int64_t n_freqs, int64_t n_mels, const MelRange& r) {
  Tensor fb = empty(b, {n_freqs, n_mels}, DType::F32);
  b.mel_filterbank(fb.f32(), n_freqs, n_mels, r.sample_rate, r.f_min, r.f_max);
  return fb;
}

// y[b] = fb^T spec[b]: [B, bins, T] -> [B, mels, T] (one batched GEMM, fb shared by every item).
Tensor project(const Tensor& spec, const Tensor& fb, int64_t batch, int64_t bins, int64_t frames, bool squeeze) {
  const int64_t mels = fb.shape[1];
  Tensor y = empty(spec.backend(), squeeze ? Shape{mels, frames} : Shape{batch, mels, frames}, DType::F32);
  GemmArgs g = gemm_args(true, false, mels, frames, bins, mels, frames, frames, 0.f);
  g.batch = batch;
  g.stride_a = 0;
  g.stride_b = bins * frames;
  g.stride_c = mels * frames;
  if (batch * mels * frames > 0) spec.backend().gemm(g, fb.f32(), spec.f32(), y.f32());
  return y;
}

// stft(x [L] | [B, L], nFft, hop, center) -> [(B,) bins, frames, 2] (re, im), periodic Hann window.
Napi::Value stft(const Napi::CallbackInfo& info) {
  Args a{info, "stft"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  return wrap(a.env(), run_stft(a, x, stft_args(a, x, 1), false));
}

// powerSpectrogram(x, nFft, hop, center) -> |stft|^2, [(B,) bins, frames].
Napi::Value power_spectrogram(const Napi::CallbackInfo& info) {
  Args a{info, "powerSpectrogram"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  return wrap(a.env(), run_stft(a, x, stft_args(a, x, 1), true));
}

// melFilterbank(nFreqs, nMels, sampleRate, fMin, fMax, device) -> [nFreqs, nMels].
Napi::Value mel_filterbank(const Napi::CallbackInfo& info) {
  Args a{info, "melFilterbank"};
  int64_t n_freqs = a.integer(0, "nFreqs", 1, kMaxFft), n_mels = a.integer(1, "nMels", 1, 1 << 16);
  MelRange r = mel_range(a, 2);
  Backend& b = backend_for(a.has(5) ? a.string(5, "device") : "cpu", a.op);
  return wrap(a.env(), filterbank(b, n_freqs, n_mels, r));
}

// melScale(spec [(B,) bins, T], fb [bins, mels]) -> [(B,) mels, T].
Napi::Value mel_scale(const Napi::CallbackInfo& info) {
  Args a{info, "melScale"};
  const Tensor& spec = a.tensor(0, "spec", DType::F32);
  const Tensor& fb = a.tensor(1, "fb", DType::F32);
  require_same_device(a.op, {&spec, &fb});
  if (fb.dim() != 2)
    fail(ErrorCode::Shape, a.op, ": 'fb' must be a filter bank [bins, mels], got shape ", shape_str(fb.shape));
  if (spec.dim() != 2 && spec.dim() != 3)
    fail(ErrorCode::Shape, a.op, ": 'spec' must be a spectrogram [bins, T] or [B, bins, T], got shape ",
         shape_str(spec.shape));
  bool squeeze = spec.dim() == 2;
  int64_t batch = squeeze ? 1 : spec.shape[0], bins = spec.shape[spec.dim() - 2], frames = spec.shape[spec.dim() - 1];
  if (bins != fb.shape[0])
    fail(ErrorCode::Shape, a.op, ": 'spec' has ", bins, " frequency bins (shape ", shape_str(spec.shape),
         ") but the filter bank expects ", fb.shape[0], " (shape ", shape_str(fb.shape), ")");
  return wrap(a.env(), project(spec, fb, batch, bins, frames, squeeze));
}

// melSpectrogram(x [L] | [B, L], nFft, hop, center, nMels, sampleRate, fMin, fMax) -> [(B,) nMels, frames]:
// torchaudio.transforms.MelSpectrogram (reflect padding when centred, power 2, HTK, no norm).
Napi::Value mel_spectrogram(const Napi::CallbackInfo& info) {
  Args a{info, "melSpectrogram"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  Signals s = signals(a, x);
  StftArgs st = stft_args(a, x, 1);
  int64_t n_mels = a.integer(4, "nMels", 1, 1 << 16);
  MelRange r = mel_range(a, 5);
  // Frame-major power spectra [B * frames, bins] times the bank [bins, mels] is one large GEMM
  // (a batch of small ones per signal is several times slower); the result is then transposed
  // to [B, mels, frames].
  st.frames_major = true;
  Backend& b = x.backend();
  Tensor spec = empty(b, {st.batch * st.frames, st.bins}, DType::F32);
  Tensor window = hann_window(b, st.n_fft);
  b.stft(st, x.f32(), window.f32(), spec.f32(), true);
  Tensor fb = filterbank(b, st.bins, n_mels, r);
  Tensor frame_mels = empty(b, {st.batch * st.frames, n_mels}, DType::F32);
  if (spec.numel() > 0 && frame_mels.numel() > 0)
    b.gemm(gemm_args(false, false, st.batch * st.frames, n_mels, st.bins, st.bins, n_mels, n_mels, 0.f), spec.f32(),
           fb.f32(), frame_mels.f32());
  Tensor y = empty(b, s.squeeze ? Shape{n_mels, st.frames} : Shape{st.batch, n_mels, st.frames}, DType::F32);
  StridedCopyArgs c{};
  c.ndim = 3;
  c.shape[0] = st.batch, c.shape[1] = n_mels, c.shape[2] = st.frames;
  c.src_strides[0] = st.frames * n_mels, c.src_strides[1] = 1, c.src_strides[2] = n_mels;
  c.dst_strides[0] = n_mels * st.frames, c.dst_strides[1] = st.frames, c.dst_strides[2] = 1;
  if (y.numel() > 0) b.strided_copy(c, frame_mels.f32(), y.f32(), sizeof(float));
  return wrap(a.env(), std::move(y));
}

// powerToDb(x [B, ...], amin, topDb): 10 log10(max(x, amin)), each item floored at its maximum
// minus topDb when topDb > 0. A tensor without a batch axis is one item.
Napi::Value power_to_db(const Napi::CallbackInfo& info) {
  Args a{info, "powerToDb"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  double amin = a.number(1, "amin"), top_db = a.number(2, "topDb");
  // A normal float32 (>= 2^-126): the CPU's logarithm reads the exponent bits.
  if (!(amin >= 1.1754944e-38) || !std::isfinite(amin))
    fail(ErrorCode::Argument, a.op, ": 'amin' must be a positive float32 number (at least 1.18e-38), got ", amin);
  if (std::isnan(top_db)) fail(ErrorCode::Argument, a.op, ": 'topDb' must be a number (0 for none), got NaN");
  Tensor y = empty_like(x);
  int64_t batch = x.dim() >= 3 ? x.shape[0] : 1;
  x.backend().power_to_db(x.f32(), y.f32(), batch, batch ? x.numel() / batch : 0, static_cast<float>(amin),
                          static_cast<float>(top_db));
  return wrap(a.env(), std::move(y));
}

}  // namespace js_spectral

}  // namespace nn::binding
