#include "thread_pool.h"
#include "flags.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NN_CPU_RELAX() _mm_pause()
#else
#define NN_CPU_RELAX() ((void)0)
#endif

namespace nn {
namespace {

thread_local bool t_inside_task = false;

int default_threads() {
  if (flags().threads > 0) return flags().threads;
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

// How long an idle worker spins before it sleeps. A training step issues dozens of small parallel
// ops separated by tens of microseconds of JavaScript; a worker that slept in between has to be
// woken through the kernel before it can take its share, which the small ops cannot repay. So
// workers spin for 300 us, the order OpenMP runtimes spin by default. NNLAB_SPIN_US=0 sleeps at once (kinder to a
// machine shared with other jobs).
std::chrono::microseconds default_spin() {
  if (flags().spin_us >= 0) return std::chrono::microseconds(flags().spin_us);
  return std::chrono::microseconds(300);
}

class Pool {
 public:
  explicit Pool(int n) { resize(n); }
  ~Pool() { stop_workers(); }

  int size() const { return nthreads_; }

  void resize(int n) {
    n = std::max(1, n);
    if (n == nthreads_) return;
    stop_workers();
    nthreads_ = n;
    stopping_ = false;
    // Workers start from the current generation, read here before any job can be posted: a
    // worker that read it later could mistake the first job for one it had already run.
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i, gen] { worker_loop(i, gen); });
  }

  void run(int64_t ntasks, const std::function<void(int64_t)>& fn) {
    if (ntasks <= 0) return;
    if (nthreads_ == 1 || ntasks == 1 || t_inside_task) {
      for (int64_t t = 0; t < ntasks; ++t) fn(t);
      return;
    }
    std::lock_guard<std::mutex> serial(run_mutex_);  // one parallel region at a time
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &fn;
      job_tasks_ = ntasks;
      pending_.store(nthreads_ - 1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    run_share(0, fn, ntasks);
    // Spin briefly (workers usually finish within microseconds of us), then block.
    for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
      if (spin > 20000) {
        std::unique_lock<std::mutex> lk(mu_);
        done_cv_.wait(lk, [this] { return pending_.load(std::memory_order_acquire) == 0; });
        break;
      }
    }
  }

 private:
  void run_share(int tid, const std::function<void(int64_t)>& fn, int64_t ntasks) {
    t_inside_task = true;
    for (int64_t t = tid; t < ntasks; t += nthreads_) fn(t);
    t_inside_task = false;
  }

  void worker_loop(int tid, uint64_t seen) {
    for (;;) {
      spin_while_idle(seen);
      if (generation_.load(std::memory_order_acquire) == seen && !stopping_) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen || stopping_; });
      }
      if (stopping_) return;
      seen = generation_.load(std::memory_order_acquire);
      const std::function<void(int64_t)>* fn;
      int64_t ntasks;
      {
        std::lock_guard<std::mutex> lk(mu_);
        fn = job_;
        ntasks = job_tasks_;
      }
      run_share(tid, *fn, ntasks);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(mu_);
        done_cv_.notify_one();
      }
    }
  }

  // Returns when a new job is posted, the pool stops, or the spin budget runs out.
  void spin_while_idle(uint64_t seen) const {
    const auto deadline = std::chrono::steady_clock::now() + spin_;
    for (unsigned i = 1;; ++i) {
      if (generation_.load(std::memory_order_acquire) != seen || stopping_) return;
      NN_CPU_RELAX();
      // Reading the clock costs ~20 ns: every 64 pauses is often enough.
      if ((i & 63) == 0 && std::chrono::steady_clock::now() >= deadline) return;
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  int nthreads_ = 0;
  const std::chrono::microseconds spin_ = default_spin();
  std::vector<std::thread> workers_;
  std::mutex mu_, run_mutex_;
  std::condition_variable cv_, done_cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stopping_{false};
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t job_tasks_ = 0;
};

Pool& pool() {
  // Leaked on purpose: joining threads during static destruction at process exit can deadlock.
  static Pool* p = new Pool(default_threads());
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) { pool().resize(n); }

void parallel_tasks(int64_t ntasks, const std::function<void(int64_t)>& fn) { pool().run(ntasks, fn); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  int64_t nt = num_threads();
  int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(nt, n / std::max<int64_t>(grain, 1)));
  if (chunks == 1 || t_inside_task) {
    fn(0, n);
    return;
  }
  pool().run(chunks, [&](int64_t c) {
    int64_t lo = n * c / chunks, hi = n * (c + 1) / chunks;
    if (lo < hi) fn(lo, hi);
  });
}

}  // namespace nn
