// "Device" memory of the simulator build: host memory from a separate arena that is mapped
// PROT_NONE except while a kernel or a backend copy runs. Host code that dereferences a device
// pointer by accident (the bug a real GPU turns into a crash) therefore faults here too, and
// the fault handler names it, instead of silently working as plain host memory would.
// NNLAB_SIM_PROTECT=0 leaves the arena readable (debugging).
#pragma once
#include <cstddef>

namespace nnsim {

// Raw device allocation (256-byte aligned), never returned: the caching allocator above it
// recycles blocks. Returns nullptr when the arena is exhausted.
void* device_reserve(size_t bytes);
bool is_device_pointer(const void* p);

// While at least one DeviceAccess is alive, the arena is readable and writable.
struct DeviceAccess {
  DeviceAccess();
  ~DeviceAccess();
  DeviceAccess(const DeviceAccess&) = delete;
  DeviceAccess& operator=(const DeviceAccess&) = delete;
};

}  // namespace nnsim
