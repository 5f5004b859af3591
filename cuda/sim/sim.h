// A CPU simulator of the CUDA execution model, for the subset cuda/kernels/*.cuh are written in:
// kernel bodies that are functions of (blockIdx, threadIdx, blockDim, gridDim), fixed-size
// __shared__ arrays (declared through NN_SHARED), __syncthreads(), full-mask __shfl_down_sync /
// __shfl_xor_sync, and atomicAdd.
//
// Why: no machine here has a GPU, yet the tiling, barriers and shuffles of the kernels are
// where CUDA bugs live. Running every thread of a block for real (as a fiber, or as an OS thread
// for ThreadSanitizer) exercises exactly that code.
//
// Model:
// - Fibers (default): blocks of a grid run one after another, the threads of a block as fibers
//   scheduled round-robin on the launching thread: deterministic and cheap.
// - Threads (NNLAB_SIM_THREADS): every simulated thread runs on an OS thread (a pool kept for
//   the process, the launching thread taking one), and waves of whole blocks, up to
//   NNLAB_SIM_CONCURRENT_THREADS threads (256 by default: what TSan tracks precisely), run at
//   once, as blocks do on a GPU. So ThreadSanitizer sees the real concurrency of shared memory
//   inside a block and of global memory between the blocks of a wave. Only barriers order threads of a block; a shuffle
//   orders only the lanes of its warp (under TSan the simulator's own locks are hidden from it, see HideFromTsan in
//   sim.cpp).
// - __syncthreads() waits until every thread of the block has arrived. A thread that returns
//   while others wait at a barrier (or arrives after another has returned) is an error, reported
//   as an exception from launch() rather than a hang. Barriers reached from different source
//   lines in the same phase are reported too (divergent barriers are undefined in CUDA).
// - Warp shuffles exchange values among the 32 lanes of a warp with a warp-level barrier; only
//   the full mask is supported.
// - Shared memory is a per-block arena, filled with 0xFF bytes (NaN as float) before each block,
//   so a kernel that reads shared memory it never wrote sees garbage rather than the previous
//   block's data.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

namespace nnsim {

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 {
  unsigned x, y, z;
};

struct Block;  // defined in sim.cpp

// What the current simulated thread sees. One per simulated thread; the scheduler points
// `current()` at it before resuming the thread.
struct ThreadCtx {
  uint3 threadIdx;
  uint3 blockIdx;
  dim3 blockDim;
  dim3 gridDim;
  int linear;         // linear thread index inside the block
  size_t shared_off;  // bump offset into the block's shared arena for this thread's declarations
  Block* block;
};

ThreadCtx& current();

// Error raised by the simulator (barrier misuse, bad mask, shared memory overflow...).
struct SimError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs body once per thread of every block of the grid. `name` names the kernel in errors.
void launch(const char* name, dim3 grid, dim3 block, const std::function<void()>& body);

void syncthreads(const char* site);
// Warp-level exchange of 8 bytes: returns the value lane `src_lane_of(lane)` contributed.
uint64_t warp_exchange(uint64_t v, unsigned mask, int mode, int arg, const char* site);
// Byte offset of this thread's next shared declaration in the block arena.
void* shared_alloc(size_t bytes, size_t align);

enum ShflMode { kShflDown = 0, kShflXor = 1, kShflIdx = 2 };

template <typename T>
T shfl(unsigned mask, T v, int mode, int arg, const char* site) {
  static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  uint64_t r = warp_exchange(bits, mask, mode, arg, site);
  T out;
  std::memcpy(&out, &r, sizeof(T));
  return out;
}

// atomicAdd: fibers never interleave inside a call; threads use a compare-and-swap loop.
template <typename T>
T atomic_add(T* addr, T v) {
#if defined(NNLAB_SIM_THREADS)
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "atomicAdd on 4- or 8-byte values");
  using U = typename std::conditional<sizeof(T) == 4, uint32_t, uint64_t>::type;
  U* p = reinterpret_cast<U*>(addr);
  U old = __atomic_load_n(p, __ATOMIC_RELAXED);
  for (;;) {
    T o;
    std::memcpy(&o, &old, sizeof(T));
    T n = o + v;
    U nb;
    std::memcpy(&nb, &n, sizeof(T));
    if (__atomic_compare_exchange_n(p, &old, nb, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return o;
  }
#else
  T old = *addr;
  *addr = old + v;
  return old;
#endif
}

// How many threads and blocks the last launch ran, and the total over the process (tests).
struct Stats {
  uint64_t launches = 0, blocks = 0, threads = 0, barriers = 0;
};
Stats stats();
// Launches per kernel name over the process (the kernel unit tests check that every kernel of
// the backend ran).
std::map<std::string, uint64_t> launch_counts();

}  // namespace nnsim
