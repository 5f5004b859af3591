// Large host buffers carved out of one reserved address range: best fit, split on hand-out,
// coalesced with free neighbours on return.
//
// Why not an exact-size cache (what nnlab had): a network's layers ask for many different sizes,
// and a cache keyed by size keeps one freed block of every size, so the peak resident set was the
// live tensors plus a copy of every activation size seen (ResNet18 inference at batch 1000: 1.2 GB
// for ~300 MB live). Here a freed 65 MB stem activation is split for the next stage's 16 MB ones,
// so the resident set stays near the peak of live bytes. Why not malloc: glibc maps blocks over
// 32 MB fresh each time (every page faulted in and zeroed again, every step) and
// returns smaller ones to a heap that interleaves them with the JS handles' small allocations.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

namespace nn::cpu {

class HostArena {
 public:
  // The process-wide arena, or nullptr when the address range could not be reserved (strict
  // overcommit, a ulimit on virtual memory): callers then fall back to malloc.
  static HostArena* instance();

  // A page-aligned block of at least `bytes`, or nullptr when the reserved range is used up.
  void* alloc(size_t bytes);
  // Returns a block alloc() handed out; false when p is not from this arena.
  bool free(void* p);

  // Free bytes whose pages may still be resident (freed since the last release).
  size_t cached_bytes();
  // Gives the pages of every free block back to the system (they read as zeros afterwards).
  void release();

  struct Stats {
    size_t used, peak_used, carved, cached;  // carved: the high-water mark of the range in use
  };
  Stats stats();
  // Restarts peak_used from the bytes in use now.
  void reset_peak();

  HostArena(char* base, size_t reserved, size_t resident_cap);

 private:
  void insert_free(size_t off, size_t size);
  void erase_free(std::map<size_t, size_t>::iterator it);
  void release_locked();

  std::mutex mu_;
  char* const base_;
  const size_t reserved_;
  const size_t resident_cap_;  // freed bytes kept resident before they are given back
  size_t top_ = 0;             // [0, top_) has been carved into blocks
  size_t used_ = 0;
  size_t peak_used_ = 0;
  size_t resident_free_ = 0;                          // upper bound of the resident bytes among free blocks
  std::map<size_t, size_t> free_by_offset_;           // offset -> size, for coalescing
  std::set<std::pair<size_t, size_t>> free_by_size_;  // (size, offset), for best fit
  std::unordered_map<size_t, size_t> used_blocks_;    // offset -> size
};

}  // namespace nn::cpu
