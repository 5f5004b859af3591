// The fixed blocks of the CPU reductions (reduce.cpp), shared with the kernels that fuse a
// reduction into another pass and must keep its bits (the fused linear layer's bias gradient in
// linear_act.cpp, squared_diff.cpp): results do not depend on the thread count because these
// blocks, not the tasks, decide the order of the sums.
#pragma once
#include <cstdint>

namespace nn {

constexpr int64_t kReduceRowBlock = 1 << 13;  // elements of a contiguous row reduced as one partial
constexpr int64_t kReduceColChunk = 512;      // inner columns one task owns when inner > 1
constexpr int64_t kReduceDimBlock = 256;      // rows summed into a partial before joining the total

}  // namespace nn
