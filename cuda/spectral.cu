// Spectral ops (kernels/spectral.cuh).
#include "cuda_backend.h"
#include "kernels/spectral.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::stft(const StftArgs& a, const float* x, const float* window, float* y, bool power) {
  const int64_t n = a.batch * a.bins * a.frames;
  if (n == 0) return;
  NN_LAUNCH(stft_kernel, blocks_for(n), threads_for(n), a, x, window, y, power);
}

void CudaBackend::mel_filterbank(float* fb, int64_t n_freqs, int64_t n_mels, double sample_rate, double f_min,
                                 double f_max) {
  const int64_t n = n_freqs * n_mels;
  if (n == 0) return;
  NN_LAUNCH(mel_filterbank_kernel, blocks_for(n), threads_for(n), fb, n_freqs, n_mels, sample_rate, f_min, f_max);
}

void CudaBackend::power_to_db(const float* x, float* y, int64_t batch, int64_t per_item, float amin, float top_db) {
  if (batch * per_item == 0) return;
  NN_LAUNCH(power_to_db_kernel, row_blocks(batch), threads_for(per_item), x, y, batch, per_item, amin, top_db);
}

}  // namespace nn
