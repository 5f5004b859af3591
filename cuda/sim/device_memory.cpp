// See device_memory.h. One large PROT_NONE reservation; allocations bump through it; the used
// prefix is opened (read/write) only while DeviceAccess guards are alive.
#include "device_memory.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace nnsim {
namespace {

constexpr size_t kReserve = size_t(1) << 36;  // 64 GB of address space, none of it committed
constexpr size_t kGrain = size_t(1) << 16;    // the open prefix grows in 64 KB steps

struct Arena {
  std::mutex mu;
  char* base = nullptr;
  size_t used = 0;    // bytes handed out
  size_t mapped = 0;  // bytes of the prefix whose protection we manage (multiple of kGrain)
  int depth = 0;
  bool protect = true;
  struct sigaction old_segv;
};

Arena& arena();

void on_segv(int sig, siginfo_t* info, void* uctx) {
  Arena& a = arena();
  char* p = static_cast<char*>(info->si_addr);
  if (a.base && p >= a.base && p < a.base + kReserve) {
    char msg[256];
    int n = std::snprintf(msg, sizeof msg,
                          "nnlab cuda-sim: host code dereferenced device memory at %p (offset %zu) outside any "
                          "kernel launch or backend copy\n",
                          static_cast<void*>(p), static_cast<size_t>(p - a.base));
    if (n > 0) (void)!write(2, msg, static_cast<size_t>(n));
    std::abort();
  }
  // Not ours (V8 uses SIGSEGV for WebAssembly bounds checks): hand it on.
  if (a.old_segv.sa_flags & SA_SIGINFO) {
    a.old_segv.sa_sigaction(sig, info, uctx);
  } else if (a.old_segv.sa_handler == SIG_DFL || a.old_segv.sa_handler == SIG_IGN) {
    signal(SIGSEGV, SIG_DFL);  // re-executing the access now terminates as usual
  } else {
    a.old_segv.sa_handler(sig);
  }
}

Arena& arena() {
  static Arena* a = [] {
    Arena* r = new Arena();
    const char* e = std::getenv("NNLAB_SIM_PROTECT");
    r->protect = !(e && std::strcmp(e, "0") == 0);
    void* p = mmap(nullptr, kReserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      std::fprintf(stderr, "nnlab cuda-sim: cannot reserve the device arena\n");
      std::abort();
    }
    r->base = static_cast<char*>(p);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &r->old_segv);
    return r;
  }();
  return *a;
}

void set_prot(Arena& a, size_t from, size_t to, bool open) {
  if (to <= from) return;
  int prot = open || !a.protect ? PROT_READ | PROT_WRITE : PROT_NONE;
  if (mprotect(a.base + from, to - from, prot) != 0) {
    std::fprintf(stderr, "nnlab cuda-sim: mprotect failed\n");
    std::abort();
  }
}

}  // namespace

void* device_reserve(size_t bytes) {
  Arena& a = arena();
  std::lock_guard<std::mutex> lk(a.mu);
  size_t off = (a.used + 255) / 256 * 256;
  if (off + bytes > kReserve) return nullptr;
  a.used = off + bytes;
  size_t need = (a.used + kGrain - 1) / kGrain * kGrain;
  if (need > a.mapped) {
    set_prot(a, a.mapped, need, a.depth > 0);
    a.mapped = need;
  }
  return a.base + off;
}

bool is_device_pointer(const void* p) {
  Arena& a = arena();
  const char* c = static_cast<const char*>(p);
  return c >= a.base && c < a.base + kReserve;
}

DeviceAccess::DeviceAccess() {
  Arena& a = arena();
  std::lock_guard<std::mutex> lk(a.mu);
  if (a.depth++ == 0 && a.protect) set_prot(a, 0, a.mapped, true);
}

DeviceAccess::~DeviceAccess() {
  Arena& a = arena();
  std::lock_guard<std::mutex> lk(a.mu);
  if (--a.depth == 0 && a.protect) set_prot(a, 0, a.mapped, false);
}

}  // namespace nnsim
