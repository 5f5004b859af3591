// HostArena (host_arena.h): a best-fit allocator over one MAP_NORESERVE range. Reserving costs
// no memory: a page becomes resident when first written, and release() (madvise DONTNEED) makes
// it non-resident again.
#include "host_arena.h"
#include "../../core/flags.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iterator>

namespace nn::cpu {
namespace {
constexpr size_t kPage = 4096;
size_t round_up(size_t n) { return (n + kPage - 1) / kPage * kPage; }

// Transparent huge pages need 2 MiB-aligned ranges; the reservation is over-sized by one huge page
// so its base can be aligned.
constexpr size_t kHugePage = size_t(2) << 20;
char* align_up(char* p) {
  auto a = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<char*>((a + kHugePage - 1) / kHugePage * kHugePage);
}

// Tensors are carved from the arena contiguously, so a huge page is filled by one large tensor or
// by many small ones; the kernel then faults memory in 2 MiB at a time instead of 4 KiB. Where a
// fault is costly (virtual machines whose hypervisor traps page-table changes: 30 us per 4 KiB
// page here) that is most of the first pass over a new tensor, and fewer TLB misses help
// everywhere. Systems with THP set to "always" do this anyway; "never" ignores the request, and
// NNLAB_HUGE_PAGES=0 turns it off.
void ask_for_huge_pages(char* base, size_t bytes) {
#ifdef MADV_HUGEPAGE
  if (flags().cpu_huge_pages) madvise(base, bytes, MADV_HUGEPAGE);
#else
  (void)base, (void)bytes;
#endif
}
}  // namespace

HostArena* HostArena::instance() {
  // Never destroyed: tensors may outlive static teardown.
  static HostArena* arena = []() -> HostArena* {
    if (!flags().cpu_arena) return nullptr;
    const size_t cap_mb = flags().cpu_cache_mb >= 0 ? static_cast<size_t>(flags().cpu_cache_mb) : 1024;
    // 64 GiB of address space (of 128 TiB), or less where the system refuses that much.
    for (size_t gib : {64, 16, 4}) {
      size_t bytes = gib << 30;
      void* p =
          mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (p == MAP_FAILED) continue;
      char* base = align_up(static_cast<char*>(p));
      ask_for_huge_pages(base, bytes);
      return new HostArena(base, bytes, cap_mb << 20);
    }
    return nullptr;
  }();
  return arena;
}

HostArena::HostArena(char* base, size_t reserved, size_t resident_cap)
    : base_(base), reserved_(reserved), resident_cap_(resident_cap) {}

void HostArena::insert_free(size_t off, size_t size) {
  free_by_offset_.emplace(off, size);
  free_by_size_.emplace(size, off);
}

void HostArena::erase_free(std::map<size_t, size_t>::iterator it) {
  free_by_size_.erase({it->second, it->first});
  free_by_offset_.erase(it);
}

void* HostArena::alloc(size_t bytes) {
  const size_t size = round_up(bytes > 0 ? bytes : 1);
  std::lock_guard<std::mutex> lk(mu_);
  size_t off;
  auto fit = free_by_size_.lower_bound({size, 0});
  if (fit != free_by_size_.end()) {
    // Best fit (smallest block that is large enough; lowest address among equals), split.
    const size_t have = fit->first;
    off = fit->second;
    erase_free(free_by_offset_.find(off));
    if (have > size) insert_free(off + size, have - size);
    resident_free_ -= std::min(resident_free_, size);
  } else {
    // Grow the carved range, absorbing a free block that ends at its top.
    off = top_;
    if (!free_by_offset_.empty()) {
      auto last = std::prev(free_by_offset_.end());
      if (last->first + last->second == top_) {
        off = last->first;
        resident_free_ -= std::min(resident_free_, last->second);
        erase_free(last);
      }
    }
    if (off + size > reserved_) {
      if (off != top_) insert_free(off, top_ - off);  // put the absorbed block back
      return nullptr;
    }
    top_ = off + size;
  }
  used_blocks_.emplace(off, size);
  used_ += size;
  peak_used_ = std::max(peak_used_, used_);
  return base_ + off;
}

bool HostArena::free(void* p) {
  char* c = static_cast<char*>(p);
  if (c < base_ || c >= base_ + reserved_) return false;
  std::lock_guard<std::mutex> lk(mu_);
  auto u = used_blocks_.find(static_cast<size_t>(c - base_));
  if (u == used_blocks_.end()) return false;
  size_t off = u->first, size = u->second;
  used_blocks_.erase(u);
  used_ -= size;
  resident_free_ += size;
  // Coalesce with the free neighbours on both sides.
  auto next = free_by_offset_.lower_bound(off);
  if (next != free_by_offset_.end() && next->first == off + size) {
    size += next->second;
    next = std::next(next);
    erase_free(std::prev(next));
  }
  if (next != free_by_offset_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == off) {
      off = prev->first;
      size += prev->second;
      erase_free(prev);
    }
  }
  insert_free(off, size);
  // Past the cap, hand free pages back (this block's first): a long-lived process keeps at most
  // that much idle memory resident.
  if (resident_free_ > resident_cap_) {
    madvise(base_ + off, size, MADV_DONTNEED);
    resident_free_ -= std::min(resident_free_, size);
    if (resident_free_ > resident_cap_) release_locked();
  }
  return true;
}

void HostArena::release_locked() {
  for (auto& [off, size] : free_by_offset_) madvise(base_ + off, size, MADV_DONTNEED);
  resident_free_ = 0;
}

void HostArena::release() {
  std::lock_guard<std::mutex> lk(mu_);
  release_locked();
}

size_t HostArena::cached_bytes() {
  std::lock_guard<std::mutex> lk(mu_);
  return resident_free_;
}

HostArena::Stats HostArena::stats() {
  std::lock_guard<std::mutex> lk(mu_);
  return {used_, peak_used_, top_, resident_free_};
}

void HostArena::reset_peak() {
  std::lock_guard<std::mutex> lk(mu_);
  peak_used_ = used_;
}

}  // namespace nn::cpu
