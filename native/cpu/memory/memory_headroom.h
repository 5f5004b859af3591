// How much more host memory this process can touch before the kernel (or its cgroup) kills it.
// Large allocations are checked against it: the HostArena hands out address space reserved with
// MAP_NORESERVE, and Linux overcommits malloc, so neither fails when memory is short: the process
// is SIGKILLed later, when the pages are written. Checking first turns that into OutOfMemoryError.
#pragma once
#include <cstddef>

namespace nn::cpu {

// Bytes that can still be made resident: MemAvailable + SwapFree from /proc/meminfo, lowered to
// the headroom of the tightest memory cgroup (v1 or v2) on the path of this process. SIZE_MAX
// when nothing can be read (not Linux, no /proc).
size_t memory_headroom();

}  // namespace nn::cpu
