// The simulator's scheduler: with fibers (default) blocks run one after another, a block's
// threads as fibers; with NNLAB_SIM_THREADS (for ThreadSanitizer) waves of whole blocks run at
// once, every simulated thread on an OS thread of a pool. See sim.h for the model.
//
// Both flavours share one bookkeeping, kept under Block::mu (a no-op lock for fibers):
// `waiting` counts threads blocked at a block or warp barrier, `exited` threads that returned.
// A barrier that can never complete is detected the moment it would block: when every thread
// that has not exited is waiting, nobody is left to release anyone, so that is a deadlock and
// is reported instead of hanging.
#include "sim.h"

#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#if defined(NNLAB_SIM_THREADS)
#include <pthread.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#endif

// Under ThreadSanitizer the simulator hides its own locks from it (see HideFromTsan).
#if defined(NNLAB_SIM_THREADS) && defined(__SANITIZE_THREAD__)
#define NNSIM_TSAN 1
#elif defined(NNLAB_SIM_THREADS) && defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NNSIM_TSAN 1
#endif
#endif
#if defined(NNSIM_TSAN)
extern "C" {
void AnnotateHappensBefore(const char* file, int line, const volatile void* addr);
void AnnotateHappensAfter(const char* file, int line, const volatile void* addr);
void AnnotateIgnoreSyncBegin(const char* file, int line);
void AnnotateIgnoreSyncEnd(const char* file, int line);
void AnnotateIgnoreReadsBegin(const char* file, int line);
void AnnotateIgnoreReadsEnd(const char* file, int line);
void AnnotateIgnoreWritesBegin(const char* file, int line);
void AnnotateIgnoreWritesEnd(const char* file, int line);
}
#endif

namespace nnsim {
namespace {
// How ThreadSanitizer sees the simulator's own synchronisation (threads + TSan builds; no-ops
// otherwise). The simulator keeps a block's barrier and shuffle bookkeeping under one lock, and
// TSan takes every lock/unlock pair as ordering: a thread that ran ahead past a barrier and
// then took the lock again (at its next barrier, shuffle or exit) would appear ordered before
// a slow thread still leaving the barrier, hiding the slow thread's races with what the fast one
// did after it. On a GPU nothing orders them. So the bookkeeping runs hidden from TSan
// (HideFromTsan), and a barrier or shuffle orders exactly what CUDA says it does through
// explicit release/acquire pairs: every arrival at generation g releases to a per-generation
// sync object, every departure from g acquires it. Two objects, alternating by the parity of
// g, suffice: nobody can arrive at g + 2 before everyone has left g.
struct HideFromTsan {
#if defined(NNSIM_TSAN)
  HideFromTsan() {
    AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
  }
  ~HideFromTsan() {
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
    AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
  }
#else
  HideFromTsan() {}  // user-provided, so declaring one is not an "unused variable"
#endif
  HideFromTsan(const HideFromTsan&) = delete;
  HideFromTsan& operator=(const HideFromTsan&) = delete;
};

// Release / acquire on `obj` from inside a HideFromTsan scope (which would otherwise drop them).
inline void tsan_release(const void* obj) {
#if defined(NNSIM_TSAN)
  AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
  AnnotateHappensBefore(__FILE__, __LINE__, obj);
  AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
#else
  (void)obj;
#endif
}
inline void tsan_acquire(const void* obj) {
#if defined(NNSIM_TSAN)
  AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
  AnnotateHappensAfter(__FILE__, __LINE__, obj);
  AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
#else
  (void)obj;
#endif
}
}  // namespace
}  // namespace nnsim

namespace nnsim {

namespace {
thread_local ThreadCtx* g_cur = nullptr;
std::atomic<uint64_t> g_launches{0}, g_blocks{0}, g_threads{0}, g_barriers{0};
std::mutex g_counts_mu;
std::map<std::string, uint64_t>& counts() {
  static auto* m = new std::map<std::string, uint64_t>();
  return *m;
}

constexpr size_t kSharedBytes = 96 * 1024;  // sm_80+ allow up to ~99 KB per block (opt-in)
constexpr int kWarp = 32;

// Thrown inside the other simulated threads of a block once one of them has failed, so they
// unwind instead of waiting forever.
struct Abort {};

std::string tid_str(const ThreadCtx& t) {
  std::ostringstream os;
  os << "block (" << t.blockIdx.x << "," << t.blockIdx.y << "," << t.blockIdx.z << ") thread (" << t.threadIdx.x << ","
     << t.threadIdx.y << "," << t.threadIdx.z << ")";
  return os.str();
}
}  // namespace

ThreadCtx& current() {
  if (!g_cur) throw SimError("cuda-sim: a device function ran outside a kernel launch");
  return *g_cur;
}

struct Warp {
  char order[2];  // TSan sync objects of even / odd shuffle generations (see HideFromTsan)
  int size = 0;
  int arrived = 0;
  int exited = 0;
  uint64_t gen = 0;
  const char* site = nullptr;
  uint64_t vals[kWarp];
  int mode[kWarp];
  int arg[kWarp];
  uint64_t results[kWarp];
};

struct Block {
  int n = 0;
  const char* kernel = "";
  std::vector<ThreadCtx> ctx;
  std::vector<Warp> warps;
  // block barrier
  char order[2];  // TSan sync objects of even / odd barrier generations (see HideFromTsan)
  int arrived = 0;
  uint64_t gen = 0;
  const char* site = nullptr;
  int exited = 0;
  int waiting = 0;
  std::string error;  // first error of the block; others abort
  std::vector<unsigned char> shm = std::vector<unsigned char>(kSharedBytes);
  size_t shm_high = kSharedBytes;  // bytes to poison before the next block
#if defined(NNLAB_SIM_THREADS)
  std::mutex mu;
  std::condition_variable cv;  // the block barrier
  // One per warp, so completing a shuffle wakes its 31 other lanes rather than the block.
  std::vector<std::unique_ptr<std::condition_variable>> warp_cv;
#endif

  void set_error(const std::string& e) {
    if (error.empty()) error = e;
  }

  // Blocks the calling simulated thread until pred() holds, waiting on the block barrier
  // (warp < 0) or on warp `warp`'s shuffle. Called with the lock held.
  template <typename Lock, typename Pred>
  void wait_until(Lock& lk, Pred pred, int warp = -1);
  void notify(int warp = -1);
  void wake_all();  // after an error: every waiter must see it
  // Called when this thread is about to block: all live threads blocked means a deadlock.
  void check_deadlock(const ThreadCtx& me, const char* what, const char* site) {
    if (waiting + exited == n) {
      std::ostringstream os;
      os << "deadlock: " << tid_str(me) << " waits at " << what << " (" << site
         << ") but every other thread of the block";
      os << " is waiting too or has returned (" << exited << " returned, " << arrived << " at __syncthreads"
         << (this->site ? std::string(" (") + this->site + ")" : std::string()) << ")";
      throw SimError(os.str());
    }
  }
};

// ---------------------------------------------------------------- fibers
#if !defined(NNLAB_SIM_THREADS)
// Context switches: on x86-64 a dozen instructions saving the callee-saved registers and the
// floating-point control words; swapcontext (kept for other architectures) also saves the
// signal mask with two system calls per switch, which made kernels with barriers ~20x slower.
#if defined(__x86_64__) && !defined(NNLAB_SIM_UCONTEXT)
#define NNSIM_FAST_SWITCH 1
extern "C" void nnsim_switch(void** save_sp, void* new_sp);
asm(R"(
.text
.globl nnsim_switch
.type nnsim_switch,@function
nnsim_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size nnsim_switch, .-nnsim_switch
.section .note.GNU-stack,"",@progbits
.text
)");
#endif

namespace {
struct NoLock {
  void lock() {}
  void unlock() {}
};

constexpr size_t kStackBytes = 256 * 1024;

struct Fiber {
#if defined(NNSIM_FAST_SWITCH)
  void* sp = nullptr;
#else
  ucontext_t uc;
#endif
  char* stack = nullptr;
  bool done = false;
};

struct Sched {
#if defined(NNSIM_FAST_SWITCH)
  void* main_sp = nullptr;
#else
  ucontext_t main;
#endif
  std::vector<Fiber> fibers;
  Block* block = nullptr;
  const std::function<void()>* body = nullptr;
  int cur = -1;
};
thread_local Sched* g_sched = nullptr;

// Fiber stacks are reserved once and reused by every block and launch (pages are touched only
// as deep as kernels go).
std::vector<char*>& stack_pool() {
  static thread_local std::vector<char*> pool;
  return pool;
}

char* stack_at(size_t i) {
  auto& pool = stack_pool();
  while (pool.size() <= i) {
    void* p = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw SimError("cuda-sim: cannot map a fiber stack");
    pool.push_back(static_cast<char*>(p));
  }
  return pool[i];
}

void thread_exit_bookkeeping(Block& b, ThreadCtx& me);

void run_fiber_body() {
  Sched& s = *g_sched;
  Block& b = *s.block;
  int i = s.cur;
  ThreadCtx& me = b.ctx[i];
  try {
    (*s.body)();
    thread_exit_bookkeeping(b, me);
  } catch (const Abort&) {
  } catch (const SimError& e) {
    b.set_error(e.what());
  } catch (const std::exception& e) {
    b.set_error(tid_str(me) + ": " + e.what());
  }
  s.fibers[i].done = true;
}

#if defined(NNSIM_FAST_SWITCH)
[[noreturn]] void fiber_entry() {
  run_fiber_body();
  Sched& s = *g_sched;
  nnsim_switch(&s.fibers[s.cur].sp, s.main_sp);
  __builtin_unreachable();  // a finished fiber is never resumed
}

void yield_to_scheduler() {
  Sched& s = *g_sched;
  nnsim_switch(&s.fibers[s.cur].sp, s.main_sp);
}

void fiber_init(Sched&, Fiber& f) {
  // Initial frame, popped by nnsim_switch: control words, r15..rbp, then "return" into
  // fiber_entry with the stack aligned as after a call.
  uintptr_t top = (reinterpret_cast<uintptr_t>(f.stack) + kStackBytes) & ~uintptr_t(15);
  uint64_t* sp = reinterpret_cast<uint64_t*>(top);
  *--sp = 0;  // fiber_entry's (never used) return address
  *--sp = reinterpret_cast<uint64_t>(&fiber_entry);
  for (int r = 0; r < 6; ++r) *--sp = 0;  // rbp, rbx, r12..r15
  uint32_t mxcsr;
  uint16_t fpucw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpucw));
  *--sp = static_cast<uint64_t>(mxcsr) | (static_cast<uint64_t>(fpucw) << 32);
  f.sp = sp;
}

void fiber_resume(Sched& s, Fiber& f) { nnsim_switch(&s.main_sp, f.sp); }
#else
void fiber_entry() { run_fiber_body(); }  // returning resumes uc_link (the scheduler)

void yield_to_scheduler() {
  Sched& s = *g_sched;
  swapcontext(&s.fibers[s.cur].uc, &s.main);
}

void fiber_init(Sched& s, Fiber& f) {
  getcontext(&f.uc);
  f.uc.uc_stack.ss_sp = f.stack;
  f.uc.uc_stack.ss_size = kStackBytes;
  f.uc.uc_link = &s.main;
  makecontext(&f.uc, fiber_entry, 0);
}

void fiber_resume(Sched& s, Fiber& f) { swapcontext(&s.main, &f.uc); }
#endif
}  // namespace

template <typename Lock, typename Pred>
void Block::wait_until(Lock&, Pred pred, int) {
  while (!pred()) {
    if (!error.empty()) throw Abort{};
    yield_to_scheduler();
  }
  if (!error.empty()) throw Abort{};
}
void Block::notify(int) {}
void Block::wake_all() {}

namespace {
NoLock g_nolock;
NoLock& block_lock(Block&) { return g_nolock; }

void run_block(Block& b, const std::function<void()>& body) {
  Sched s;
  s.block = &b;
  s.body = &body;
  s.fibers.resize(b.n);
  Sched* prev = g_sched;
  g_sched = &s;
  for (int i = 0; i < b.n; ++i) {
    Fiber& f = s.fibers[i];
    f.stack = stack_at(static_cast<size_t>(i));
    fiber_init(s, f);
  }
  // Round-robin passes; a waiting fiber re-checks its barrier when resumed. Deadlocks are
  // detected when they would block (Block::check_deadlock), so every pass makes progress.
  int live = b.n;
  while (live > 0) {
    for (int i = 0; i < b.n; ++i) {
      Fiber& f = s.fibers[i];
      if (f.done) continue;
      s.cur = i;
      g_cur = &b.ctx[i];
      fiber_resume(s, f);
      g_cur = nullptr;
      if (f.done) --live;
      if (!b.error.empty()) break;
    }
    if (!b.error.empty()) break;
  }
  g_sched = prev;
}
}  // namespace

// ---------------------------------------------------------------- threads
#else
template <typename Lock, typename Pred>
void Block::wait_until(Lock& lk, Pred pred, int warp) {
  (warp < 0 ? cv : *warp_cv[warp]).wait(lk, [&] { return pred() || !error.empty(); });
  if (!error.empty()) throw Abort{};
}
void Block::notify(int warp) { (warp < 0 ? cv : *warp_cv[warp]).notify_all(); }
void Block::wake_all() {
  cv.notify_all();
  for (auto& c : warp_cv) c->notify_all();
}

namespace {
void thread_exit_bookkeeping(Block& b, ThreadCtx& me);
std::mutex& block_lock(Block& b) { return b.mu; }

// One simulated thread, on whichever worker runs it.
void run_sim_thread(Block& b, int i, const std::function<void()>& body) {
  ThreadCtx& me = b.ctx[i];
  g_cur = &me;
  try {
    body();
    thread_exit_bookkeeping(b, me);
  } catch (const Abort&) {
  } catch (const SimError& e) {
    HideFromTsan hide;
    std::lock_guard<std::mutex> lk(b.mu);
    b.set_error(e.what());
    b.wake_all();
  } catch (const std::exception& e) {
    HideFromTsan hide;
    std::lock_guard<std::mutex> lk(b.mu);
    b.set_error(tid_str(me) + ": " + e.what());
    b.wake_all();
  }
  g_cur = nullptr;
}

// OS threads that run simulated threads, created on demand and kept for the process. Creating
// a thread per simulated thread is slow under TSan (stack and shadow mappings), and a launch
// has thousands of them. Each worker has its own lock and wake-up, so handing
// jobs out orders the launcher before every simulated thread and nothing else: two simulated
// threads are never ordered by the pool, which is what TSan must see.
class WorkerPool {
 public:
  struct Job {
    Block* block;
    int thread;
  };

  // The calling thread runs jobs[0] itself, workers the rest: a wave of n simulated threads
  // keeps n OS threads alive, not n + 1 (see kTsanSlots).
  void run(const std::vector<Job>& jobs, const std::function<void()>& body) {
    if (jobs.empty()) return;
    std::lock_guard<std::mutex> serial(run_mu_);  // one launch at a time
    while (workers_.size() + 1 < jobs.size()) spawn();
    {
      std::lock_guard<std::mutex> lk(done_mu_);
      remaining_ = jobs.size() - 1;
    }
    for (size_t k = 1; k < jobs.size(); ++k) {
      Worker& w = *workers_[k - 1];
      {
        std::lock_guard<std::mutex> lk(w.mu);
        w.job = jobs[k];
        w.body = &body;
        w.has_job = true;
      }
      w.cv.notify_one();
    }
    run_sim_thread(*jobs[0].block, jobs[0].thread, body);
    std::unique_lock<std::mutex> lk(done_mu_);
    done_cv_.wait(lk, [&] { return remaining_ == 0; });
  }

 private:
  struct Worker {
    std::mutex mu;
    std::condition_variable cv;
    bool has_job = false;
    Job job{};
    const std::function<void()>* body = nullptr;
    WorkerPool* pool = nullptr;
  };

  // Detached and never stopped: the pool lives as long as the process. Stacks of 1 MB rather
  // than the default 8 MB (kernels need little; fibers get 256 KB): TSan maps and clears
  // shadow memory for every thread's stack, and a launch may need a thousand workers.
  void spawn() {
    workers_.push_back(std::make_unique<Worker>());
    Worker* w = workers_.back().get();
    w->pool = this;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, size_t(1) << 20);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int rc = pthread_create(&t, &attr, &WorkerPool::entry, w);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      workers_.pop_back();
      throw SimError("cuda-sim: cannot create a thread for the simulated threads (pthread_create error " +
                     std::to_string(rc) + ")");
    }
  }

  static void* entry(void* arg) {
    Worker* w = static_cast<Worker*>(arg);
    w->pool->loop(*w);
    return nullptr;
  }

  void loop(Worker& w) {
    for (;;) {
      Job job;
      const std::function<void()>* body;
      {
        std::unique_lock<std::mutex> lk(w.mu);
        w.cv.wait(lk, [&] { return w.has_job; });
        w.has_job = false;
        job = w.job;
        body = w.body;
      }
      run_sim_thread(*job.block, job.thread, *body);
      std::lock_guard<std::mutex> lk(done_mu_);
      if (--remaining_ == 0) done_cv_.notify_one();
    }
  }

  std::mutex run_mu_, done_mu_;
  std::condition_variable done_cv_;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
};

WorkerPool& worker_pool() {
  static WorkerPool* p = new WorkerPool();  // leaked: its threads never exit
  return *p;
}

// Every thread of every given block at once.
void run_blocks(Block* const* blocks, size_t count, const std::function<void()>& body) {
  std::vector<WorkerPool::Job> jobs;
  for (size_t k = 0; k < count; ++k)
    for (int i = 0; i < blocks[k]->n; ++i) jobs.push_back({blocks[k], i});
  worker_pool().run(jobs, body);
}

// ThreadSanitizer (the runtime of GCC 12+ and LLVM 14+) tracks at most 256 live threads
// precisely: beyond that, threads share its 256 clock slots, and a thread taking over a slot
// inherits the clock of the thread it preempted. That ordering is fictitious and hides races
// (a missing __syncthreads in a 256-thread block went unreported in 2 runs of 10 with a pool of
// 1024 threads, and in none with 256). So the process should never hold more than 256 threads.
constexpr size_t kTsanSlots = 256;

// How many simulated threads run at once: whole blocks up to this many threads (at least one
// block). Races between blocks are visible to TSan only inside such a wave: with the default
// of 256, eight 32-thread blocks or one 256-thread block at a time.
size_t wave_threads() {
  static const size_t n = [] {
    const char* e = std::getenv("NNLAB_SIM_CONCURRENT_THREADS");
    long v = e ? std::atol(e) : 0;
    return v > 0 ? static_cast<size_t>(v) : kTsanSlots;
  }();
  return n;
}

// Says once on stderr when a launch needs more threads than TSan tracks precisely.
void warn_if_beyond_tsan_slots(size_t threads, const char* kernel) {
#if defined(NNSIM_TSAN)
  static std::once_flag once;
  if (threads > kTsanSlots)
    std::call_once(once, [&] {
      std::fprintf(stderr,
                   "cuda-sim: kernel %s runs %zu threads at once, more than the %zu ThreadSanitizer tracks "
                   "precisely: races may go unreported (lower NNLAB_SIM_CONCURRENT_THREADS or the block size)\n",
                   kernel, threads, kTsanSlots);
    });
#endif
}
}  // namespace
#endif

// ---------------------------------------------------------------- shared by both
namespace {
void thread_exit_bookkeeping(Block& b, ThreadCtx& me) {
  HideFromTsan hide;  // returning orders nothing on a GPU
  auto& mu = block_lock(b);
  std::lock_guard<std::remove_reference_t<decltype(mu)>> lk(mu);
  Warp& w = b.warps[me.linear / kWarp];
  ++b.exited;
  ++w.exited;
  if (b.arrived > 0) {
    std::ostringstream os;
    os << tid_str(me) << " returned while " << b.arrived << " thread(s) wait at __syncthreads (" << b.site
       << "): every thread of a block must reach each barrier";
    throw SimError(os.str());
  }
  if (w.arrived > 0) {
    std::ostringstream os;
    os << tid_str(me) << " returned while " << w.arrived << " lane(s) of its warp wait in a shuffle (" << w.site
       << "): full-mask shuffles need all 32 lanes";
    throw SimError(os.str());
  }
  if (b.waiting > 0 && b.waiting + b.exited == b.n) {
    throw SimError(tid_str(me) + " returned and left the other threads of its block deadlocked at barriers");
  }
}
}  // namespace

void syncthreads(const char* site) {
  ThreadCtx& me = current();
  Block& b = *me.block;
  g_barriers.fetch_add(1, std::memory_order_relaxed);
  HideFromTsan hide;
  auto& mu = block_lock(b);
  std::unique_lock<std::remove_reference_t<decltype(mu)>> lk(mu);
  if (!b.error.empty()) throw Abort{};
  if (b.exited > 0) {
    std::ostringstream os;
    os << tid_str(me) << " reached __syncthreads (" << site << ") after " << b.exited
       << " thread(s) of its block returned: every thread of a block must reach each barrier";
    throw SimError(os.str());
  }
  if (b.arrived > 0 && b.site != site && std::strcmp(b.site, site) != 0) {
    std::ostringstream os;
    os << tid_str(me) << " reached __syncthreads at " << site << " while others wait at " << b.site
       << ": divergent barriers";
    throw SimError(os.str());
  }
  uint64_t my_gen = b.gen;
  tsan_release(&b.order[my_gen & 1]);
  b.site = site;
  if (++b.arrived == b.n) {
    b.arrived = 0;
    b.waiting -= b.n - 1;
    ++b.gen;
    b.site = nullptr;
    b.notify();
    tsan_acquire(&b.order[my_gen & 1]);
    return;
  }
  ++b.waiting;
  b.check_deadlock(me, "__syncthreads", site);
  b.wait_until(lk, [&] { return b.gen != my_gen; });
  tsan_acquire(&b.order[my_gen & 1]);
}

uint64_t warp_exchange(uint64_t v, unsigned mask, int mode, int arg, const char* site) {
  ThreadCtx& me = current();
  Block& b = *me.block;
  if (mask != 0xffffffffu) {
    std::ostringstream os;
    os << tid_str(me) << ": shuffle at " << site << " with mask 0x" << std::hex << mask
       << ": the simulator supports only the full mask";
    throw SimError(os.str());
  }
  int lane = me.linear % kWarp;
  Warp& w = b.warps[me.linear / kWarp];
  HideFromTsan hide;  // before the lock, so the unlock is hidden too
  auto& mu = block_lock(b);
  std::unique_lock<std::remove_reference_t<decltype(mu)>> lk(mu);
  if (!b.error.empty()) throw Abort{};
  if (w.size != kWarp) {
    std::ostringstream os;
    os << tid_str(me) << ": full-mask shuffle at " << site << " in a warp of " << w.size
       << " threads (block size not a multiple of 32): undefined in CUDA";
    throw SimError(os.str());
  }
  if (w.exited > 0) {
    std::ostringstream os;
    os << tid_str(me) << ": shuffle at " << site << " after " << w.exited << " lane(s) of its warp returned";
    throw SimError(os.str());
  }
  uint64_t my_gen = w.gen;
  tsan_release(&w.order[my_gen & 1]);
  w.site = site;
  w.vals[lane] = v;
  w.mode[lane] = mode;
  w.arg[lane] = arg;
  if (++w.arrived == w.size) {
    for (int l = 0; l < w.size; ++l) {
      int src = l;
      switch (w.mode[l]) {
        case kShflDown:
          src = l + w.arg[l];
          break;
        case kShflXor:
          src = l ^ w.arg[l];
          break;
        default:
          src = w.arg[l] & (kWarp - 1);
          break;
      }
      if (src < 0 || src >= w.size) src = l;  // out-of-range source: own value, as CUDA
      w.results[l] = w.vals[src];
    }
    w.arrived = 0;
    b.waiting -= w.size - 1;
    ++w.gen;
    b.notify(me.linear / kWarp);
    tsan_acquire(&w.order[my_gen & 1]);
    return w.results[lane];
  }
  ++b.waiting;
  b.check_deadlock(me, "a warp shuffle", site);
  b.wait_until(
      lk, [&] { return w.gen != my_gen; }, me.linear / kWarp);
  tsan_acquire(&w.order[my_gen & 1]);
  return w.results[lane];
}

void* shared_alloc(size_t bytes, size_t align) {
  ThreadCtx& me = current();
  size_t off = (me.shared_off + align - 1) / align * align;
  if (off + bytes > kSharedBytes) throw SimError("cuda-sim: __shared__ declarations exceed 96 KB");
  me.shared_off = off + bytes;
  return me.block->shm.data() + off;
}

namespace {
// Resets `b` to block `bid` of a launch: barrier and warp state, thread contexts, and shared
// memory poisoned up to what the block's previous use touched.
void init_block(Block& b, dim3 grid, dim3 block, uint3 bid) {
  std::memset(b.shm.data(), 0xFF, b.shm_high);
  b.arrived = 0;
  b.gen = 0;
  b.site = nullptr;
  b.exited = 0;
  b.waiting = 0;
  b.error.clear();
  for (size_t w = 0; w < b.warps.size(); ++w) {
    Warp& wp = b.warps[w];
    wp.size = std::min(kWarp, b.n - static_cast<int>(w) * kWarp);
    wp.arrived = 0;
    wp.exited = 0;
    wp.gen = 0;
    wp.site = nullptr;
  }
  int i = 0;
  for (unsigned tz = 0; tz < block.z; ++tz)
    for (unsigned ty = 0; ty < block.y; ++ty)
      for (unsigned tx = 0; tx < block.x; ++tx, ++i) {
        ThreadCtx& c = b.ctx[i];
        c.threadIdx = uint3{tx, ty, tz};
        c.blockIdx = bid;
        c.blockDim = block;
        c.gridDim = grid;
        c.linear = i;
        c.shared_off = 0;
        c.block = &b;
      }
}

// Bookkeeping after a block ran; throws the block's error.
void finish_block(Block& b, const char* name) {
  size_t used = 0;
  for (auto& c : b.ctx) used = std::max(used, c.shared_off);
  b.shm_high = used;
  g_blocks.fetch_add(1, std::memory_order_relaxed);
  g_threads.fetch_add(static_cast<uint64_t>(b.n), std::memory_order_relaxed);
  if (!b.error.empty()) throw SimError(std::string("cuda-sim: kernel ") + name + ": " + b.error);
}

std::unique_ptr<Block> make_block(const char* name, int nthreads) {
  auto b = std::make_unique<Block>();
  b->n = nthreads;
  b->kernel = name;
  b->ctx.resize(nthreads);
  b->warps.resize((nthreads + kWarp - 1) / kWarp);
#if defined(NNLAB_SIM_THREADS)
  for (size_t w = 0; w < b->warps.size(); ++w) b->warp_cv.push_back(std::make_unique<std::condition_variable>());
#endif
  return b;
}

// Block `linear` of the grid, x fastest (the order blocks run in with fibers).
uint3 block_at(uint64_t linear, dim3 grid) {
  return uint3{static_cast<unsigned>(linear % grid.x), static_cast<unsigned>((linear / grid.x) % grid.y),
               static_cast<unsigned>(linear / (uint64_t(grid.x) * grid.y))};
}
}  // namespace

void launch(const char* name, dim3 grid, dim3 block, const std::function<void()>& body) {
  if (g_cur) throw SimError(std::string("cuda-sim: kernel ") + name + " launched from device code");
  uint64_t nthreads = uint64_t(block.x) * block.y * block.z;
  if (nthreads == 0 || nthreads > 1024 || block.z > 64)
    throw SimError(std::string("cuda-sim: kernel ") + name + ": invalid block size " + std::to_string(block.x) + "x" +
                   std::to_string(block.y) + "x" + std::to_string(block.z));
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535)
    throw SimError(std::string("cuda-sim: kernel ") + name + ": invalid grid " + std::to_string(grid.x) + "x" +
                   std::to_string(grid.y) + "x" + std::to_string(grid.z));
  g_launches.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lk(g_counts_mu);
    ++counts()[name];
  }
  const uint64_t nblocks = uint64_t(grid.x) * grid.y * grid.z;
#if defined(NNLAB_SIM_THREADS)
  // Waves of whole blocks run concurrently, as on a GPU: a conflict between two blocks of a wave
  // (two blocks writing one element without atomics) is a race TSan reports.
  const uint64_t per_wave = std::max<uint64_t>(1, wave_threads() / nthreads);
  std::vector<std::unique_ptr<Block>> owned;
  std::vector<Block*> blocks;
  for (uint64_t first = 0; first < nblocks; first += per_wave) {
    const size_t count = static_cast<size_t>(std::min(per_wave, nblocks - first));
    while (owned.size() < count) {
      owned.push_back(make_block(name, static_cast<int>(nthreads)));
      blocks.push_back(owned.back().get());
    }
    for (size_t k = 0; k < count; ++k) init_block(*blocks[k], grid, block, block_at(first + k, grid));
    warn_if_beyond_tsan_slots(count * nthreads, name);
    run_blocks(blocks.data(), count, body);
    for (size_t k = 0; k < count; ++k) finish_block(*blocks[k], name);
  }
#else
  auto b = make_block(name, static_cast<int>(nthreads));
  for (uint64_t k = 0; k < nblocks; ++k) {
    init_block(*b, grid, block, block_at(k, grid));
    run_block(*b, body);
    finish_block(*b, name);
  }
#endif
}

std::map<std::string, uint64_t> launch_counts() {
  std::lock_guard<std::mutex> lk(g_counts_mu);
  return counts();
}

Stats stats() {
  Stats s;
  s.launches = g_launches.load();
  s.blocks = g_blocks.load();
  s.threads = g_threads.load();
  s.barriers = g_barriers.load();
  return s;
}

}  // namespace nnsim
