// A fixed pool of worker threads sized to the machine (NNLAB_THREADS overrides). Work is split
// statically into contiguous chunks, one per thread, so a given thread count always gives the
// same partition and therefore bit-identical floating-point results.
#pragma once
#include <cstdint>
#include <functional>

namespace nn {

// Number of threads ops use (workers + the calling thread), at least 1.
int num_threads();
// Changes the thread count (tests and benchmarks); takes effect for the next parallel call.
void set_num_threads(int n);

// Runs fn(task) for task in [0, ntasks) across the pool; returns when all are done. Tasks are
// assigned round-robin by index (task t on thread t % nthreads), deterministic. Calls made from
// inside a task run serially on the calling thread.
void parallel_tasks(int64_t ntasks, const std::function<void(int64_t task)>& fn);

// Splits [0, n) into at most num_threads() contiguous ranges of at least `grain` elements and
// runs fn(begin, end) on each. Small ranges run inline without waking the pool.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace nn
