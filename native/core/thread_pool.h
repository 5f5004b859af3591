// A fixed pool of worker threads sized to the machine (NNLAB_THREADS overrides). Work is split
// statically into contiguous chunks, one per thread, so a given thread count always gives the
// same partition and therefore bit-identical floating-point results.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>

namespace nn {

// Number of threads ops use (workers + the calling thread), at least 1.
int num_threads();
// Changes the thread count (tests and benchmarks); takes effect for the next parallel call.
void set_num_threads(int n);

// Runs fn(task) for task in [0, ntasks) across the pool; returns when all are done. The calling
// thread and the workers that are awake take tasks one at a time, so which thread runs a task
// varies from call to call: a task's result must depend only on its index (per-task partial sums
// and scratch indexed by task, never by thread). Calls made from inside a task run serially on
// the calling thread.
void parallel_tasks(int64_t ntasks, const std::function<void(int64_t task)>& fn);

// Splits [0, n) into at most num_threads() contiguous ranges of at least `grain` elements and
// runs fn(begin, end) on each. Small ranges run inline without waking the pool.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// The least work worth a thread of its own, in bytes read and written by a memory-bound pass.
// Handing a share to another core and joining it back costs microseconds, and data one core has
// just written reaches another at well under half the bandwidth of its own cache, a cost the
// next op, back on the calling thread, pays again. Passes smaller than two shares run on the
// calling thread and never wake the pool.
constexpr int64_t kMinTaskBytes = int64_t(1) << 20;

// parallel_for's grain for a pass that moves `bytes_per_item` bytes per item.
inline int64_t grain_for_bytes(int64_t bytes_per_item) {
  return std::max<int64_t>(1, kMinTaskBytes / std::max<int64_t>(1, bytes_per_item));
}

// parallel_tasks for a job that moves `bytes` in all: under two kMinTaskBytes shares the same
// tasks run in order on the calling thread, so the results are the same either way (for jobs
// whose task count fixes the partition of a sum, such as one partial per thread).
void parallel_tasks(int64_t ntasks, int64_t bytes, const std::function<void(int64_t task)>& fn);

}  // namespace nn
