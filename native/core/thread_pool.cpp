#include "thread_pool.h"
#include "flags.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
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

// The job word: the job's sequence number in the high 32 bits, then the number of workers inside
// the job, then whether it still admits workers (bit 0). Joining and closing are changes of this
// one word, so a worker either joined before the caller closed the job (and the caller waits for
// it) or never touches the job at all.
constexpr uint64_t kOpen = 1, kJoinedOne = 2, kJoinedMask = 0xffffffffULL & ~kOpen;
inline uint64_t job_seq(uint64_t s) { return s >> 32; }
inline uint64_t joined(uint64_t s) { return (s & kJoinedMask) >> 1; }

// Tasks are claimed one at a time from a shared counter by the calling thread and by whichever
// workers join, so a job never waits for a worker that is not running: when no worker is awake (a
// loaded machine, or a worker still on its way out of the last job), the caller runs every task
// itself. Which thread runs a task never changes what the task computes.
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
    for (int i = 1; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void run(int64_t ntasks, const std::function<void(int64_t)>& fn) {
    if (ntasks <= 0) return;
    if (nthreads_ == 1 || ntasks == 1 || t_inside_task) {
      for (int64_t t = 0; t < ntasks; ++t) fn(t);
      return;
    }
    std::lock_guard<std::mutex> serial(run_mutex_);  // one parallel region at a time
    // No worker is inside a job here (the last run waited for them), so the fields are ours.
    job_ = &fn;
    job_tasks_ = ntasks;
    error_ = nullptr;
    next_.store(0, std::memory_order_relaxed);
    const uint64_t seq = job_seq(state_.load(std::memory_order_relaxed)) + 1;
    state_.store(seq << 32 | kOpen, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      // Taking the mutex orders this wake-up after a sleeper's last look at the job word.
      { std::lock_guard<std::mutex> lk(mu_); }
      cv_.notify_all();
    }
    claim_tasks(fn, ntasks);
    close_and_wait();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // A task that throws stops the job: the tasks not yet claimed are dropped, and the first
  // exception reaches the caller of run() once every thread is out of the job.
  void claim_tasks(const std::function<void(int64_t)>& fn, int64_t ntasks) {
    t_inside_task = true;
    try {
      for (int64_t t; (t = next_.fetch_add(1, std::memory_order_relaxed)) < ntasks;) fn(t);
    } catch (...) {
      std::lock_guard<std::mutex> lk(error_mu_);
      if (!error_) error_ = std::current_exception();
      next_.store(ntasks, std::memory_order_relaxed);
    }
    t_inside_task = false;
  }

  // Stops admitting workers, then waits for the ones inside to finish their tasks: spinning for
  // the spin budget (they were running a moment ago), then asleep.
  void close_and_wait() {
    uint64_t s = state_.fetch_and(~kOpen, std::memory_order_acq_rel) & ~kOpen;
    if (joined(s) == 0) return;
    const auto deadline = std::chrono::steady_clock::now() + spin_;
    for (unsigned i = 1; joined(state_.load(std::memory_order_acquire)) != 0; ++i) {
      NN_CPU_RELAX();
      if ((i & 63) == 0 && std::chrono::steady_clock::now() >= deadline) {
        caller_waiting_.store(true, std::memory_order_seq_cst);
        std::unique_lock<std::mutex> lk(mu_);
        done_cv_.wait(lk, [this] { return joined(state_.load(std::memory_order_seq_cst)) == 0; });
        caller_waiting_.store(false, std::memory_order_relaxed);
        return;
      }
    }
  }

  // Joins the open job `s` names; false when it closed (or a newer one was posted) meanwhile.
  bool try_join(uint64_t s) {
    while (s & kOpen) {
      if (state_.compare_exchange_weak(s, s + kJoinedOne, std::memory_order_acq_rel)) return true;
    }
    return false;
  }

  void leave() {
    const uint64_t before = state_.fetch_sub(kJoinedOne, std::memory_order_seq_cst);
    if (joined(before) == 1 && caller_waiting_.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lk(mu_);
      done_cv_.notify_one();
    }
  }

  void worker_loop() {
    uint64_t seen = job_seq(state_.load(std::memory_order_acquire));
    for (;;) {
      uint64_t s = wait_for_job(seen);
      if (stopping_) return;
      seen = job_seq(s);
      if (!try_join(s)) continue;
      const std::function<void(int64_t)>& fn = *job_;
      claim_tasks(fn, job_tasks_);
      leave();
    }
  }

  // Returns the job word once it names a job newer than `seen` (open or already closed), or when
  // the pool stops: spins for the spin budget, then sleeps.
  uint64_t wait_for_job(uint64_t seen) {
    const auto deadline = std::chrono::steady_clock::now() + spin_;
    for (unsigned i = 1;; ++i) {
      uint64_t s = state_.load(std::memory_order_acquire);
      if (job_seq(s) != seen || stopping_) return s;
      NN_CPU_RELAX();
      // Reading the clock costs ~20 ns: every 64 pauses is often enough.
      if ((i & 63) == 0 && std::chrono::steady_clock::now() >= deadline) break;
    }
    std::unique_lock<std::mutex> lk(mu_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    uint64_t s;
    cv_.wait(lk, [&] {
      s = state_.load(std::memory_order_seq_cst);
      return job_seq(s) != seen || stopping_;
    });
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
    return s;
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
  std::atomic<uint64_t> state_{0};
  std::atomic<int64_t> next_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> caller_waiting_{false};
  std::atomic<bool> stopping_{false};
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t job_tasks_ = 0;
  std::mutex error_mu_;
  std::exception_ptr error_;
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

void parallel_tasks(int64_t ntasks, int64_t bytes, const std::function<void(int64_t)>& fn) {
  if (bytes >= 2 * kMinTaskBytes) return pool().run(ntasks, fn);
  for (int64_t t = 0; t < ntasks; ++t) fn(t);
}

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
