// Lowers the glibc the prebuilt binaries need to GLIBC_2.27 (docs/building.md), linked only into
// the CMake build on x86-64 glibc (cmake/glibc_floor.cmake). The build machine's glibc (2.36) gives
// every symbol its newest version; these wrappers bind the references that would raise the floor
// to older versions or to code of our own. The linker's --wrap=SYM sends each reference to
// __wrap_SYM here; cmake/glibc_floor.cmake reads the NN_PIN and NN_OWN lines below to make those flags.
//
// NN_PIN(SYM, "VERSION"): SYM moved into libc (pthread, dl, sem, shm in 2.34) or got a faster new
// version (pow in 2.29); its old version is the same function and exists in every glibc.
// NN_OWN(SYM): no older version exists, so the wrapper below implements it.
#include <features.h>  // defines __GLIBC__ (absent on musl)
#if defined(__x86_64__) && defined(__GLIBC__)
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

// A jump, so the wrapper is the old function for any signature. The wrappers are hidden: they bind
// only this binary's references and never interpose on the host's.
#define NN_PIN(sym, ver)                                                                          \
  asm(".symver __nn_old_" #sym ", " #sym "@" ver "\n.globl __wrap_" #sym "\n.hidden __wrap_" #sym \
      "\n.type __wrap_" #sym ", @function\n__wrap_" #sym ":\n  jmp __nn_old_" #sym "@PLT\n");
#define NN_OWN(sym)

NN_PIN(pthread_create, "GLIBC_2.2.5")
NN_PIN(pthread_join, "GLIBC_2.2.5")
NN_PIN(pthread_detach, "GLIBC_2.2.5")
NN_PIN(pthread_kill, "GLIBC_2.2.5")
NN_PIN(pthread_once, "GLIBC_2.2.5")
NN_PIN(pthread_key_create, "GLIBC_2.2.5")
NN_PIN(__pthread_key_create, "GLIBC_2.2.5")
NN_PIN(pthread_key_delete, "GLIBC_2.2.5")
NN_PIN(pthread_getspecific, "GLIBC_2.2.5")
NN_PIN(pthread_setspecific, "GLIBC_2.2.5")
NN_PIN(pthread_mutex_trylock, "GLIBC_2.2.5")
NN_PIN(pthread_mutexattr_init, "GLIBC_2.2.5")
NN_PIN(pthread_mutexattr_destroy, "GLIBC_2.2.5")
NN_PIN(pthread_mutexattr_settype, "GLIBC_2.2.5")
NN_PIN(pthread_mutexattr_setpshared, "GLIBC_2.2.5")
NN_PIN(pthread_condattr_setpshared, "GLIBC_2.2.5")
NN_PIN(pthread_rwlock_init, "GLIBC_2.2.5")
NN_PIN(pthread_rwlock_destroy, "GLIBC_2.2.5")
NN_PIN(pthread_rwlock_rdlock, "GLIBC_2.2.5")
NN_PIN(pthread_rwlock_wrlock, "GLIBC_2.2.5")
NN_PIN(pthread_rwlock_tryrdlock, "GLIBC_2.2.5")
NN_PIN(pthread_rwlock_trywrlock, "GLIBC_2.2.5")
NN_PIN(pthread_rwlock_timedrdlock, "GLIBC_2.2.5")
NN_PIN(pthread_rwlock_timedwrlock, "GLIBC_2.2.5")
NN_PIN(pthread_rwlock_unlock, "GLIBC_2.2.5")
NN_PIN(pthread_rwlockattr_init, "GLIBC_2.2.5")
NN_PIN(pthread_rwlockattr_destroy, "GLIBC_2.2.5")
NN_PIN(pthread_rwlockattr_setpshared, "GLIBC_2.2.5")
NN_PIN(pthread_spin_init, "GLIBC_2.2.5")
NN_PIN(pthread_spin_destroy, "GLIBC_2.2.5")
NN_PIN(pthread_spin_lock, "GLIBC_2.2.5")
NN_PIN(pthread_spin_trylock, "GLIBC_2.2.5")
NN_PIN(pthread_spin_unlock, "GLIBC_2.2.5")
NN_PIN(sem_init, "GLIBC_2.2.5")
NN_PIN(sem_destroy, "GLIBC_2.2.5")
NN_PIN(sem_post, "GLIBC_2.2.5")
NN_PIN(sem_wait, "GLIBC_2.2.5")
NN_PIN(sem_trywait, "GLIBC_2.2.5")
NN_PIN(sem_timedwait, "GLIBC_2.2.5")
NN_PIN(shm_open, "GLIBC_2.2.5")
NN_PIN(shm_unlink, "GLIBC_2.2.5")
NN_PIN(dlopen, "GLIBC_2.2.5")
NN_PIN(dlclose, "GLIBC_2.2.5")
NN_PIN(dlerror, "GLIBC_2.2.5")
NN_PIN(dlsym, "GLIBC_2.2.5")
NN_PIN(dlvsym, "GLIBC_2.2.5")
NN_PIN(dlmopen, "GLIBC_2.3.4")
NN_PIN(pthread_sigmask, "GLIBC_2.2.5")
NN_PIN(pow, "GLIBC_2.2.5")
NN_PIN(__fxstat64, "GLIBC_2.2.5")
NN_OWN(fstat64)
NN_OWN(getentropy)
NN_OWN(arc4random)
NN_OWN(_dl_find_object)

extern "C" {
int __wrap___fxstat64(int ver, int fd, struct stat64* buf);

// fstat64 became a libc symbol in 2.33; before, it was an inline call of __fxstat64 (_STAT_VER 1).
__attribute__((visibility("hidden"))) int __wrap_fstat64(int fd, struct stat64* buf) {
  return __wrap___fxstat64(1, fd, buf);
}

// getentropy (2.25) and arc4random (2.36), used by std::random_device: the getrandom system call.
__attribute__((visibility("hidden"))) int __wrap_getentropy(void* buf, size_t len) {
  if (len > 256) {
    errno = EIO;
    return -1;
  }
  auto* p = static_cast<unsigned char*>(buf);
  while (len > 0) {
    long n = syscall(SYS_getrandom, p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return 0;
}
__attribute__((visibility("hidden"))) uint32_t __wrap_arc4random(void) {
  uint32_t v = 0;
  if (__wrap_getentropy(&v, sizeof v) != 0) abort();  // arc4random cannot fail either
  return v;
}

// libstdc++'s atomics ask whether the process is single-threaded (2.32). Defined here, it is
// never true, so they always take the atomic path: correct whatever the host.
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;

// The static unwinder (libgcc_eh) finds a frame's unwind tables with _dl_find_object (2.35). Call
// it where the host has it; elsewhere find the object holding pc with dl_iterate_phdr, as
// libgcc did before 2.35, and hand back its PT_GNU_EH_FRAME segment (all libgcc reads on x86-64).
using find_fn = int (*)(void*, struct dl_find_object*);
void* __wrap_dlvsym(void*, const char*, const char*);

struct PhdrQuery {
  uintptr_t pc;
  struct dl_find_object* out;
  bool found;
};

static int phdr_callback(struct dl_phdr_info* info, size_t, void* data) {
  auto* q = static_cast<PhdrQuery*>(data);
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  bool inside = false;
  const void* eh = nullptr;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD) {
      if (q->pc >= start && q->pc < start + ph.p_memsz) inside = true;
      if (start < lo) lo = start;
      if (start + ph.p_memsz > hi) hi = start + ph.p_memsz;
    } else if (ph.p_type == PT_GNU_EH_FRAME) {
      eh = reinterpret_cast<const void*>(start);
    }
  }
  if (!inside) return 0;
  std::memset(q->out, 0, sizeof *q->out);
  q->out->dlfo_map_start = reinterpret_cast<void*>(lo);
  q->out->dlfo_map_end = reinterpret_cast<void*>(hi);
  q->out->dlfo_eh_frame = const_cast<void*>(eh);
  q->found = true;
  return 1;
}

__attribute__((visibility("hidden"))) int nn_find_object_emulated(void* pc, struct dl_find_object* out) {
  PhdrQuery q{reinterpret_cast<uintptr_t>(pc), out, false};
  dl_iterate_phdr(phdr_callback, &q);
  return q.found ? 0 : -1;
}

__attribute__((visibility("hidden"))) int __wrap__dl_find_object(void* pc, struct dl_find_object* out) {
  // Looked up once; NNLAB_EMULATE_DL_FIND_OBJECT=1 takes the pre-2.35 path on any host (a test checks it).
  static std::atomic<find_fn> real{nullptr};
  static std::atomic<bool> looked{false};
  if (!looked.load(std::memory_order_acquire)) {
    const char* e = getenv("NNLAB_EMULATE_DL_FIND_OBJECT");
    find_fn f = (e && e[0] == '1')
                    ? nullptr
                    : reinterpret_cast<find_fn>(__wrap_dlvsym(RTLD_DEFAULT, "_dl_find_object", "GLIBC_2.35"));
    real.store(f ? f : nn_find_object_emulated, std::memory_order_relaxed);
    looked.store(true, std::memory_order_release);
  }
  find_fn f = real.load(std::memory_order_relaxed);
  return (f ? f : nn_find_object_emulated)(pc, out);
}
}
#endif
