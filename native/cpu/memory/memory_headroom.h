// How much more host memory this process can touch before the kernel (or its cgroup) kills it.
// Large allocations are checked against it: the HostArena hands out address space reserved with
// MAP_NORESERVE, and Linux overcommits malloc, so neither fails when memory is short: the process
// is SIGKILLed later, when the pages are written. Checking first turns that into OutOfMemoryError.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace nn::cpu {

struct Headroom {
  size_t bytes = SIZE_MAX;  // SIZE_MAX when nothing can be read (not Linux, no /proc)
  std::string cgroup;       // the cgroup folder whose limit is the tightest; empty: RAM and swap are
  size_t cgroup_limit = 0;  // its limit in bytes (memory.max in v2, memory.limit_in_bytes in v1)
};

// Bytes that can still be made resident: MemAvailable + SwapFree from /proc/meminfo, lowered to
// the headroom of the tightest memory cgroup (v1 or v2) on the path of this process, and which
// of them it is, so that an OutOfMemoryError can name the cgroup.
Headroom memory_headroom();

}  // namespace nn::cpu
