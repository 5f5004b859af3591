// The simulator's scheduler: blocks one after another, a block's threads as fibers (default) or
// std::threads (NNLAB_SIM_THREADS, for ThreadSanitizer). See sim.h for the model.
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
#include <condition_variable>
#include <thread>
#endif

namespace nnsim {

namespace {
thread_local ThreadCtx* g_cur = nullptr;
std::atomic<uint64_t> g_launches{0}, g_blocks{0}, g_threads{0}, g_barriers{0};

constexpr size_t kSharedBytes = 96 * 1024;  // sm_80+ allow up to ~99 KB per block (opt-in)
constexpr int kWarp = 32;

// Thrown inside the other simulated threads of a block once one of them has failed, so they
// unwind instead of waiting forever.
struct Abort {};

std::string tid_str(const ThreadCtx& t) {
  std::ostringstream os;
  os << "block (" << t.blockIdx.x << "," << t.blockIdx.y << "," << t.blockIdx.z << ") thread (" << t.threadIdx.x
     << "," << t.threadIdx.y << "," << t.threadIdx.z << ")";
  return os.str();
}
}  // namespace

ThreadCtx& current() {
  if (!g_cur) throw SimError("cuda-sim: a device function ran outside a kernel launch");
  return *g_cur;
}

struct Warp {
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
  std::condition_variable cv;
#endif

  void set_error(const std::string& e) {
    if (error.empty()) error = e;
  }

  // Blocks the calling simulated thread until pred() holds. Called with the lock held.
  template <typename Lock, typename Pred>
  void wait_until(Lock& lk, Pred pred);
  void notify();
  // Called when this thread is about to block: all live threads blocked means a deadlock.
  void check_deadlock(const ThreadCtx& me, const char* what, const char* site) {
    if (waiting + exited == n) {
      std::ostringstream os;
      os << "deadlock: " << tid_str(me) << " waits at " << what << " (" << site << ") but every other thread of the block";
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
void Block::wait_until(Lock&, Pred pred) {
  while (!pred()) {
    if (!error.empty()) throw Abort{};
    yield_to_scheduler();
  }
  if (!error.empty()) throw Abort{};
}
void Block::notify() {}

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
void Block::wait_until(Lock& lk, Pred pred) {
  cv.wait(lk, [&] { return pred() || !error.empty(); });
  if (!error.empty()) throw Abort{};
}
void Block::notify() { cv.notify_all(); }

namespace {
void thread_exit_bookkeeping(Block& b, ThreadCtx& me);
std::mutex& block_lock(Block& b) { return b.mu; }

void run_block(Block& b, const std::function<void()>& body) {
  std::vector<std::thread> threads;
  threads.reserve(b.n);
  for (int i = 0; i < b.n; ++i) {
    threads.emplace_back([&b, &body, i] {
      ThreadCtx& me = b.ctx[i];
      g_cur = &me;
      try {
        body();
        thread_exit_bookkeeping(b, me);
      } catch (const Abort&) {
      } catch (const SimError& e) {
        std::lock_guard<std::mutex> lk(b.mu);
        b.set_error(e.what());
        b.cv.notify_all();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lk(b.mu);
        b.set_error(tid_str(me) + ": " + e.what());
        b.cv.notify_all();
      }
      g_cur = nullptr;
    });
  }
  for (auto& t : threads) t.join();
}
}  // namespace
#endif

// ---------------------------------------------------------------- shared by both
namespace {
void thread_exit_bookkeeping(Block& b, ThreadCtx& me) {
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
  b.site = site;
  if (++b.arrived == b.n) {
    b.arrived = 0;
    b.waiting -= b.n - 1;
    ++b.gen;
    b.site = nullptr;
    b.notify();
    return;
  }
  ++b.waiting;
  b.check_deadlock(me, "__syncthreads", site);
  b.wait_until(lk, [&] { return b.gen != my_gen; });
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
  w.site = site;
  w.vals[lane] = v;
  w.mode[lane] = mode;
  w.arg[lane] = arg;
  if (++w.arrived == w.size) {
    for (int l = 0; l < w.size; ++l) {
      int src = l;
      switch (w.mode[l]) {
        case kShflDown: src = l + w.arg[l]; break;
        case kShflXor: src = l ^ w.arg[l]; break;
        default: src = w.arg[l] & (kWarp - 1); break;
      }
      if (src < 0 || src >= w.size) src = l;  // out-of-range source: own value, as CUDA
      w.results[l] = w.vals[src];
    }
    w.arrived = 0;
    b.waiting -= w.size - 1;
    ++w.gen;
    b.notify();
    return w.results[lane];
  }
  ++b.waiting;
  b.check_deadlock(me, "a warp shuffle", site);
  b.wait_until(lk, [&] { return w.gen != my_gen; });
  return w.results[lane];
}

void* shared_alloc(size_t bytes, size_t align) {
  ThreadCtx& me = current();
  size_t off = (me.shared_off + align - 1) / align * align;
  if (off + bytes > kSharedBytes) throw SimError("cuda-sim: __shared__ declarations exceed 96 KB");
  me.shared_off = off + bytes;
  return me.block->shm.data() + off;
}

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
  auto b = std::make_unique<Block>();
  b->n = static_cast<int>(nthreads);
  b->kernel = name;
  b->ctx.resize(b->n);
  int nwarps = (b->n + kWarp - 1) / kWarp;
  b->warps.resize(nwarps);
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        // Fresh block state; shared memory poisoned up to what the previous block used.
        std::memset(b->shm.data(), 0xFF, b->shm_high);
        b->arrived = 0;
        b->gen = 0;
        b->site = nullptr;
        b->exited = 0;
        b->waiting = 0;
        for (int w = 0; w < nwarps; ++w) {
          Warp& wp = b->warps[w];
          wp.size = std::min(kWarp, b->n - w * kWarp);
          wp.arrived = 0;
          wp.exited = 0;
          wp.gen = 0;
          wp.site = nullptr;
        }
        int i = 0;
        for (unsigned tz = 0; tz < block.z; ++tz)
          for (unsigned ty = 0; ty < block.y; ++ty)
            for (unsigned tx = 0; tx < block.x; ++tx, ++i) {
              ThreadCtx& c = b->ctx[i];
              c.threadIdx = uint3{tx, ty, tz};
              c.blockIdx = uint3{bx, by, bz};
              c.blockDim = block;
              c.gridDim = grid;
              c.linear = i;
              c.shared_off = 0;
              c.block = b.get();
            }
        run_block(*b, body);
        size_t used = 0;
        for (auto& c : b->ctx) used = std::max(used, c.shared_off);
        b->shm_high = used;
        g_blocks.fetch_add(1, std::memory_order_relaxed);
        g_threads.fetch_add(nthreads, std::memory_order_relaxed);
        if (!b->error.empty()) throw SimError(std::string("cuda-sim: kernel ") + name + ": " + b->error);
      }
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
