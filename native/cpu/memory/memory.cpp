// Host memory, copies, fills, casts and the strided copy behind every layout change.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>
#include <type_traits>
#include <algorithm>

#include "../../core/block_cache.h"
#include "../../core/flags.h"
#include "../../core/error.h"
#include "../../core/shape.h"
#include "../../core/thread_pool.h"
#include "../../kernels/hd.h"
#include "../cpu_backend.h"
#include "host_arena.h"
#include "memory_headroom.h"

namespace nn {

Device CpuBackend::device() const { return Device::CPU; }
std::string CpuBackend::name() const { return "cpu"; }

// 64-byte alignment (a cache line; what AVX-512 loads like) carved out of a plain malloc block.
// glibc's aligned_alloc fragments the heap when training loops interleave tensor buffers with
// the small allocations of their JS handles: a freed aligned block is 64 bytes too small to be
// reused for the next aligned request of the same size, so RSS grew by one buffer per tensor
// until the GC ran. A plain malloc block of the same size is reused at once.
namespace {
void* raw_alloc(size_t bytes) {
  void* raw = std::malloc(bytes + 64);
  if (!raw) return nullptr;
  uintptr_t aligned = (reinterpret_cast<uintptr_t>(raw) + 64) & ~uintptr_t(63);
  // The offset back to the malloc block sits in the byte just before the aligned pointer.
  reinterpret_cast<uint8_t*>(aligned)[-1] = static_cast<uint8_t>(aligned - reinterpret_cast<uintptr_t>(raw));
  return reinterpret_cast<void*>(aligned);
}

void raw_free(void* p) {
  uint8_t* a = static_cast<uint8_t*>(p);
  std::free(a - a[-1]);
}

// Large buffers come from the HostArena (host_arena.h), which reuses freed memory for any size.
// Where no arena could be reserved, they are cached by exact size and handed out again: a
// training step allocates the same activation and gradient sizes every iteration, and without a
// cache each of them is a fresh mmap whose pages the kernel faults in and zeroes, then unmaps. Either keeps at most 1
// GiB of freed memory resident; NNLAB_CPU_CACHE_MB overrides (0: give freed memory back at once).
constexpr size_t kCacheMin = size_t(1) << 18;  // below this, malloc's own free lists do well
BlockCache& block_cache() {
  // Never destroyed: tensors may outlive static teardown.
  static BlockCache* c = [] {
    const size_t mb = flags().cpu_cache_mb >= 0 ? static_cast<size_t>(flags().cpu_cache_mb) : 1024;
    return new BlockCache(mb << 20);
  }();
  return *c;
}
// Allocations from this size on are checked against the memory the process can still touch
// (memory_headroom.h): reading /proc costs microseconds, nothing next to faulting in 64 MiB.
constexpr size_t kHeadroomCheckMin = size_t(64) << 20;

void check_headroom(size_t bytes) {
  if (bytes < kHeadroomCheckMin) return;
  cpu::HostArena* arena = cpu::HostArena::instance();
  // Freed blocks the arena or cache still hold can be handed out again without new memory.
  size_t reusable = block_cache().cached() + (arena ? arena->cached_bytes() : 0);
  cpu::Headroom h = cpu::memory_headroom();
  if (h.bytes == SIZE_MAX || bytes <= h.bytes + reusable) return;
  const size_t avail = (h.bytes + reusable) >> 20;
  if (h.cgroup.empty())
    fail(ErrorCode::OutOfMemory, "cpu: cannot allocate ", bytes, " bytes (", bytes >> 20, " MiB): only ", avail,
         " MiB of memory are available to this process (RAM and swap)");
  fail(ErrorCode::OutOfMemory, "cpu: cannot allocate ", bytes, " bytes (", bytes >> 20, " MiB): only ", avail,
       " MiB of memory are available to this process (memory cgroup ", h.cgroup, ", limited to ", h.cgroup_limit >> 20,
       " MiB)");
}
}  // namespace

void* CpuBackend::alloc(size_t bytes) {
  check_headroom(bytes);
  if (bytes >= kCacheMin) {
    if (cpu::HostArena* arena = cpu::HostArena::instance())
      if (void* p = arena->alloc(bytes)) return p;
    if (void* p = block_cache().take(bytes)) return p;
  }
  void* p = raw_alloc(bytes);
  if (!p && bytes >= kCacheMin) {
    block_cache().drain(raw_free);  // memory is tight: give the cached blocks back and retry
    p = raw_alloc(bytes);
  }
  if (!p) fail(ErrorCode::OutOfMemory, "cpu: could not allocate ", bytes, " bytes");
  return p;
}

void CpuBackend::free(void* p, size_t bytes) {
  if (!p) return;
  if (bytes >= kCacheMin) {
    if (cpu::HostArena* arena = cpu::HostArena::instance(); arena && arena->free(p)) return;
    if (block_cache().give(p, bytes)) return;
  }
  raw_free(p);
}

MemoryStats CpuBackend::memory_stats(bool reset_peak) {
  MemoryStats m;
  cpu::HostArena* arena = cpu::HostArena::instance();
  m.cached_bytes = block_cache().cached() + (arena ? arena->cached_bytes() : 0);
  if (arena) {
    const cpu::HostArena::Stats s = arena->stats();
    m.has_arena = true;
    m.arena_used = s.used;
    m.arena_peak_used = s.peak_used;
    m.arena_carved = s.carved;
    if (reset_peak) arena->reset_peak();
  }
  return m;
}

void CpuBackend::release_cache() {
  block_cache().drain(raw_free);
  if (cpu::HostArena* arena = cpu::HostArena::instance()) arena->release();
}

// Empty tensors may have null storage, and memcpy's pointers must not be null even for 0 bytes
// (UBSan reports it).
void CpuBackend::copy_from_host(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void CpuBackend::copy_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void CpuBackend::copy_within(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memmove(dst, src, bytes);
}

void CpuBackend::fill_f32(float* y, int64_t n, float value) {
  parallel_for(n, 1 << 16, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) y[i] = value;
  });
}

void CpuBackend::fill_i32(int32_t* y, int64_t n, int32_t value) {
  for (int64_t i = 0; i < n; ++i) y[i] = value;
}

void CpuBackend::arange_f32(float* y, int64_t n, float start, float step) {
  // Rounded as the CUDA kernel rounds it (no FMA contraction on either side: kernels/hd.h).
  for (int64_t i = 0; i < n; ++i) y[i] = nn_fadd_rn(start, nn_fmul_rn(step, static_cast<float>(i)));
}

namespace {
template <typename From, typename To>
void cast_loop(const From* x, To* y, int64_t n, float scale) {
  parallel_for(n, 1 << 16, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      if constexpr (std::is_same_v<To, float>) {
        y[i] = static_cast<float>(x[i]) * scale;
      } else if constexpr (std::is_same_v<From, float>) {
        // float -> integer truncates toward zero like torch's .to(int); callers check range.
        y[i] = static_cast<To>(x[i]);
      } else {
        y[i] = static_cast<To>(x[i]);
      }
    }
  });
}

template <typename From>
void cast_from(const From* x, void* y, DType to, int64_t n, float scale) {
  switch (to) {
    case DType::F32:
      cast_loop(x, static_cast<float*>(y), n, scale);
      break;
    case DType::I32:
      cast_loop(x, static_cast<int32_t*>(y), n, scale);
      break;
    case DType::U8:
      cast_loop(x, static_cast<uint8_t*>(y), n, scale);
      break;
  }
}
}  // namespace

void CpuBackend::cast(const void* x, DType from, void* y, DType to, int64_t n, float scale) {
  switch (from) {
    case DType::F32:
      cast_from(static_cast<const float*>(x), y, to, n, scale);
      break;
    case DType::I32:
      cast_from(static_cast<const int32_t*>(x), y, to, n, scale);
      break;
    case DType::U8:
      cast_from(static_cast<const uint8_t*>(x), y, to, n, scale);
      break;
  }
}

namespace {
template <typename T>
void strided_copy_typed(const StridedCopyArgs& a, const T* src, T* dst) {
  // The innermost axis is a tight loop; the outer axes are walked with an odometer.
  int nd = a.ndim;
  if (nd == 0) {
    dst[a.dst_offset] = src[a.src_offset];
    return;
  }
  int64_t inner = a.shape[nd - 1];
  int64_t ss = a.src_strides[nd - 1], ds = a.dst_strides[nd - 1];
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; ++d) rows *= a.shape[d];
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(inner, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t so = a.src_offset, dof = a.dst_offset, rem = r;
      for (int d = nd - 2; d >= 0; --d) {
        int64_t idx = rem % a.shape[d];
        rem /= a.shape[d];
        so += idx * a.src_strides[d];
        dof += idx * a.dst_strides[d];
      }
      const T* s = src + so;
      T* o = dst + dof;
      if (ss == 1 && ds == 1) {
        std::memcpy(o, s, static_cast<size_t>(inner) * sizeof(T));
      } else {
        for (int64_t i = 0; i < inner; ++i) o[i * ds] = s[i * ss];
      }
    }
  });
}
}  // namespace

void CpuBackend::strided_copy(const StridedCopyArgs& a, const void* src, void* dst, size_t elem_size) {
  if (elem_size == 1)
    strided_copy_typed(a, static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst));
  else
    strided_copy_typed(a, static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst));
}

Backend& cpu_backend() {
  static CpuBackend* b = new CpuBackend();  // never destroyed: tensors may outlive static teardown
  return *b;
}

}  // namespace nn
