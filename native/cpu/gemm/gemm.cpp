// The CPU SGEMM: GotoBLAS/BLIS blocking around a register-tiled micro-kernel.
//
//   for jc in N by NC:            B block (KC x NC) lives in L3, packed once per (jc, pc)
//     for pc in K by KC:
//       pack op(B)[pc.., jc..]
//       for ic in M by MC:        A block (MC x KC) lives in L2
//         pack op(A)[ic.., pc..]
//         for jr in NC by NR:     B micro-panel (KC x NR) stays in L1
//           for ir in MC by MR:   micro-kernel: MR x NR tile of C in registers
//
// Packing absorbs transposes and leading dimensions, and zero-pads edges, so the micro-kernel
// sees one layout. Threads never share work inside a product: C is cut into one rectangle per
// thread (a 2-D grid chosen by a cost model so skinny shapes keep every core busy) and each
// thread runs the serial algorithm on its rectangle with its own packing buffers. That needs no
// barriers (which would deadlock when the pool runs tasks serially inside another task), and
// since K is blocked identically everywhere and the micro-kernel treats every lane alike, each
// element of C gets the same operations whatever the partition: results are bit-identical for
// any thread count.
#include "gemm.h"
#include "../../core/flags.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "../../core/thread_pool.h"
#include "../cpu_backend.h"
#include "gemm_kernels.h"
#include "../simd/simd.h"

namespace nn::cpu {
namespace {
using namespace gemm_detail;

// Blocking for Zen 3 (32K L1d, 512K L2 per core): KC*NR*4 = 16 KB of B in L1 next to the
// streamed A micro-panel; MC*KC*4 = 144 KB of A in L2; NC bounds the per-thread B block (L3).
constexpr int64_t kKC = 256;
constexpr int64_t kMC = 144;   // multiple of kMR
constexpr int64_t kNC = 3072;  // multiple of kNR
// Below this many multiply-adds (about 20 us of one thread's work on the small shapes) a product
// runs on the calling thread: waking and joining the pool, and packing the shared operand once per
// thread, cost more than the half it saves (the seed CNN's 128x10x512 linear layer, 655k
// multiply-adds, took 41 us split in two in the quiet-host run of docs/performance.md, and 20 us
// on one thread with the direct tiles).
constexpr int64_t kParallelMinWork = int64_t(1) << 21;
// Weight of one packed element against one multiply-add in the partition cost model (packing
// moves an element in roughly the time the micro-kernel does 16 multiply-adds).
constexpr double kPackWeight = 16.0;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

const Kernels& kernels() {
  static const Kernels k = [] {
    // NNLAB_GEMM_KERNEL=generic (or NNLAB_DISABLE_AVX2=1) forces the portable kernels.
    if (flags().gemm_generic) return kernels_generic();
#if NNLAB_X86_KERNELS
    if (use_avx512()) return kernels_avx512();  // same tiles and packing, bit-identical results
    if (use_avx2()) return kernels_avx2();
#endif
    return kernels_generic();
  }();
  return k;
}

// Rows [ir, m) of nc <= 2 * kNR columns from the B panels at pb (b_step floats apart) through the
// direct tiles reading the packed panels (MicroKernelDirect by panels): masked stores for partial
// rows and columns, and up to 24 accumulators where the 6x16 kernel has 6. A tile reads whole
// micro-panels, which the packed A holds up to m rounded up to kMR.
void edge_tiles(const Kernels& kern, int64_t kc, const float* ap, int64_t a_step, const float* pb, int64_t b_step,
                float* C, int64_t ldc, int64_t ir, int64_t m, int nc, float alpha, float beta) {
  const int64_t padded = round_up(m, kMR);
  const int q = (nc - 1) / kNR;
  while (ir < m) {
    const DirectTile& tile = q == 0 && padded - ir >= kern.direct_narrow.rows ? kern.direct_narrow
                             : padded - ir >= kern.direct_wide.rows           ? kern.direct_wide
                                                                              : kern.direct_small;
    const int mr = static_cast<int>(std::min<int64_t>(tile.rows, m - ir));
    const float* a = ap + (ir / kMR) * a_step;
    float* c = C + ir * ldc;
    if (q < tile.panels) {
      tile.by_panels[q](kc, a, a_step, pb, kNR, b_step, c, ldc, mr, nc, alpha, beta);
    } else {  // two panels through a one-panel tile
      tile.by_panels[0](kc, a, a_step, pb, kNR, b_step, c, ldc, mr, kNR, alpha, beta);
      tile.by_panels[0](kc, a, a_step, pb + b_step, kNR, b_step, c + kNR, ldc, mr, nc - kNR, alpha, beta);
    }
    ir += tile.rows;
  }
}

// C[0:m, 0:n] = alpha * Ap * Bp + beta * C over one k block of kc steps: Ap's micro-panels are
// a_step floats apart, Bp's panels b_step apart. Column pairs of B panels go through the wide
// kernels when there are any (12 or 6 rows at a time) and their last rows, like a partial last
// panel, through the direct tiles; without wide kernels, everything through the 6x16 one. Every
// kernel computes an element the same way, so the split changes no bits.
void run_tiles(const Kernels& kern, int64_t kc, const float* ap, int64_t a_step, const float* bp, int64_t b_step,
               float* C, int64_t ldc, int64_t m, int64_t n, float alpha, float beta) {
  int64_t jr = 0;
  if (kern.wide12) {
    for (; jr < n; jr += 2 * kNR) {
      const float* pb = bp + (jr / kNR) * b_step;
      const int nc = static_cast<int>(std::min<int64_t>(2 * kNR, n - jr));
      int64_t ir = 0;
      if (nc == 2 * kNR) {
        for (; ir + 2 * kMR <= m; ir += 2 * kMR)
          kern.wide12(kc, ap + (ir / kMR) * a_step, a_step, pb, b_step, C + ir * ldc + jr, ldc, alpha, beta);
        if (ir + kMR <= m) {
          kern.wide6(kc, ap + (ir / kMR) * a_step, a_step, pb, b_step, C + ir * ldc + jr, ldc, alpha, beta);
          ir += kMR;
        }
      } else if (nc == kNR) {
        for (; ir + 2 * kMR <= m; ir += 2 * kMR)
          kern.tall(kc, ap + (ir / kMR) * a_step, a_step, pb, b_step, C + ir * ldc + jr, ldc, alpha, beta);
      }
      edge_tiles(kern, kc, ap, a_step, pb, b_step, C + jr, ldc, ir, m, nc, alpha, beta);
    }
    return;
  }
  for (; jr < n; jr += kNR) {
    const int nr = static_cast<int>(std::min<int64_t>(kNR, n - jr));
    const float* pb = bp + (jr / kNR) * b_step;
    for (int64_t ir = 0; ir < m; ir += kMR) {
      const int mr = static_cast<int>(std::min<int64_t>(kMR, m - ir));
      kern.micro(kc, ap + (ir / kMR) * a_step, pb, C + ir * ldc + jr, ldc, mr, nr, alpha, beta);
    }
  }
}

// Per-thread packing buffers, grown on demand and kept (a training loop calls GEMM with the
// same shapes again and again). Allocation happens inside pool tasks, where an exception would
// terminate the process, so failure is reported by returning false instead.
struct Workspace {
  float* a = nullptr;
  float* b = nullptr;
  size_t a_cap = 0, b_cap = 0;
  ~Workspace() {
    std::free(a);
    std::free(b);
  }
  static bool grow(float*& p, size_t& cap, size_t n) {
    if (n <= cap) return true;
    std::free(p);
    p = static_cast<float*>(std::aligned_alloc(64, round_up(static_cast<int64_t>(n * sizeof(float)), 64)));
    cap = p ? n : 0;
    return p != nullptr;
  }
  bool reserve(size_t na, size_t nb) { return grow(a, a_cap, na) && grow(b, b_cap, nb); }
};
thread_local Workspace t_ws;

inline float at(const float* M, bool trans, int64_t ld, int64_t r, int64_t c) {
  return trans ? M[c * ld + r] : M[r * ld + c];
}

// Needs no memory: the path taken when a packing buffer cannot be allocated.
void gemm_unpacked(const GemmArgs& g, const float* A, const float* B, float* C, int64_t m0, int64_t m1, int64_t n0,
                   int64_t n1) {
  for (int64_t i = m0; i < m1; ++i)
    for (int64_t j = n0; j < n1; ++j) {
      float s = 0.f;
      for (int64_t p = 0; p < g.k; ++p) s += at(A, g.trans_a, g.lda, i, p) * at(B, g.trans_b, g.ldb, p, j);
      float* c = C + i * g.ldc + j;
      *c = g.beta == 0.f ? g.alpha * s : g.alpha * s + g.beta * *c;
    }
}

// K is cut into equal blocks of at most kKC, chosen from K alone so that every rectangle of a
// partition accumulates each element in the same order.
inline int64_t k_block(int64_t k) { return ceil_div(k, ceil_div(k, kKC)); }

// Whether C[m, n] of the product is computed by the direct tiles instead of packed blocks: when
// a packed B would be used by at most two tiles (N within one wide tile, or M within two 12-row
// tiles of a B read in place), packing it costs more than it saves. Whole 16- and 32-column N
// stays with the packed blocks' full tiles, which need no edge handling.
bool direct_rect(const GemmArgs& g, int64_t m, int64_t n) {
  return (n <= 2 * kNR && n % kNR != 0) || (m <= 4 * kMR && !g.trans_b);
}

// C[m0:m1, n0:n1] through the direct tiles: op(B)'s whole panels read in place when B is not
// transposed, the rest packed per K block; op(A) read in place when transposed (its rows of a step
// are contiguous), else packed one row tile at a time (a row-major A read in place would stream a
// row per accumulator, which thrashes L1 sets when lda is a power of two), and packed too at the
// bottom edge, where the tile would read rows past op(A). K is blocked as in gemm_rect and every
// element gets the same operations, so the bits are those of the packed path.
void gemm_rect_direct(const Kernels& kern, const GemmArgs& g, const float* A, const float* B, float* C, int64_t m0,
                      int64_t m1, int64_t n0, int64_t n1) {
  const int64_t m = m1 - m0, n = n1 - n0;
  const DirectTile& main_tile = n <= kNR ? kern.direct_narrow : kern.direct_wide;
  const int64_t kcb = k_block(g.k);
  const int64_t n_in_place = g.trans_b ? 0 : n / kNR * kNR;  // columns of op(B) read where they lie
  Workspace& ws = t_ws;
  if (!ws.reserve(static_cast<size_t>(main_tile.rows * kcb + kPackSlack),
                  static_cast<size_t>(kcb * round_up(n - n_in_place, kNR)))) {
    gemm_unpacked(g, A, B, C, m0, m1, n0, n1);
    return;
  }
  for (int64_t pc = 0; pc < g.k; pc += kcb) {
    const int64_t kc = std::min(kcb, g.k - pc);
    const float beta = pc == 0 ? g.beta : 1.f;
    if (n > n_in_place) kern.pack_b(g.trans_b, B, g.ldb, pc, kc, n0 + n_in_place, n - n_in_place, ws.b);
    for (int64_t ic = 0; ic < m; ic += main_tile.rows) {
      const int mr = static_cast<int>(std::min<int64_t>(main_tile.rows, m - ic));
      // A short edge takes the shortest tile that holds it.
      const DirectTile& tile = mr <= kern.direct_small.rows  ? kern.direct_small
                               : mr <= kern.direct_wide.rows ? kern.direct_wide
                                                             : main_tile;
      const int64_t i = m0 + ic;
      const float* a = A + pc * g.lda + i;
      int64_t lda = g.lda;
      const MicroKernelDirect* fn = tile.by_steps;
      if (!g.trans_a || mr < tile.rows) {
        kern.pack_a(g.trans_a, A, g.lda, i, mr, pc, kc, ws.a);
        // Whole micro-panels of zeros below a short edge: the tile reads all its rows.
        const int64_t packed = round_up(mr, kMR) * kc;
        std::fill(ws.a + packed, ws.a + tile.rows * kc, 0.f);
        a = ws.a;
        lda = kMR * kc;
        fn = tile.by_panels;
      }
      float* c = C + i * g.ldc + n0;
      const int64_t tile_cols = tile.panels * kNR;
      // Columns [j0, j1) of this row tile from panels b_panel floats apart.
      const auto columns = [&](int64_t j0, int64_t j1, const float* b, int64_t ldb, int64_t b_panel) {
        for (int64_t jc = j0; jc < j1; jc += tile_cols) {
          const int nc = static_cast<int>(std::min(tile_cols, j1 - jc));
          fn[(nc - 1) / kNR](kc, a, lda, b + (jc - j0) / kNR * b_panel, ldb, b_panel, c + jc, g.ldc, mr, nc, g.alpha,
                             beta);
        }
      };
      columns(0, n_in_place, B + pc * g.ldb + n0, g.ldb, kNR);
      columns(n_in_place, n, ws.b, kNR, kc * kNR);
    }
  }
}

// C[m0:m1, n0:n1] of the product, on the calling thread.
void gemm_rect(const GemmArgs& g, const float* A, const float* B, float* C, int64_t m0, int64_t m1, int64_t n0,
               int64_t n1) {
  const int64_t m = m1 - m0, n = n1 - n0;
  if (m <= 0 || n <= 0) return;
  const Kernels& kern = kernels();
  if (direct_rect(g, m, n)) {
    gemm_rect_direct(kern, g, A, B, C, m0, m1, n0, n1);
    return;
  }
  const int64_t kcb = k_block(g.k);
  // Equal M and N blocks: a ragged last block would leave the micro-kernel with short loops.
  const int64_t mcb = round_up(ceil_div(m, ceil_div(m, kMC)), kMR);
  const int64_t ncb = round_up(ceil_div(n, ceil_div(n, kNC)), kNR);
  Workspace& ws = t_ws;
  if (!ws.reserve(static_cast<size_t>(mcb * kcb + kPackSlack), static_cast<size_t>(kcb * ncb))) {
    gemm_unpacked(g, A, B, C, m0, m1, n0, n1);
    return;
  }
  for (int64_t jc = n0; jc < n1; jc += ncb) {
    const int64_t nc = std::min(ncb, n1 - jc);
    for (int64_t pc = 0; pc < g.k; pc += kcb) {
      const int64_t kc = std::min(kcb, g.k - pc);
      const float beta = pc == 0 ? g.beta : 1.f;
      kern.pack_b(g.trans_b, B, g.ldb, pc, kc, jc, nc, ws.b);
      for (int64_t ic = m0; ic < m1; ic += mcb) {
        const int64_t mc = std::min(mcb, m1 - ic);
        kern.pack_a(g.trans_a, A, g.lda, ic, mc, pc, kc, ws.a);
        run_tiles(kern, kc, ws.a, kMR * kc, ws.b, kNR * kc, C + ic * g.ldc + jc, g.ldc, mc, nc, g.alpha, beta);
      }
    }
  }
}

// C = beta * C without a product (K == 0 or alpha == 0); beta == 0 writes zeros, ignoring NaN.
void scale_c(const GemmArgs& g, float* C) {
  for (int64_t i = 0; i < g.m; ++i) {
    float* c = C + i * g.ldc;
    if (g.beta == 0.f)
      std::fill(c, c + g.n, 0.f);
    else if (g.beta != 1.f)
      for (int64_t j = 0; j < g.n; ++j) c[j] *= g.beta;
  }
}

bool trivial(const GemmArgs& g, float* C) {
  if (g.m <= 0 || g.n <= 0) return true;
  if (g.k <= 0 || g.alpha == 0.f) {
    scale_c(g, C);
    return true;
  }
  return false;
}

// A tm x tn grid of C rectangles, one per thread, minimising the slowest thread's modelled
// time: its (tile-padded) multiply-adds plus the elements it packs.
struct Grid {
  int64_t tm = 1, tn = 1;
};

Grid choose_grid(int64_t m, int64_t n, int64_t k, int64_t threads) {
  const int64_t mt = ceil_div(m, kMR), nt = ceil_div(n, kNR);
  Grid best;
  double best_cost = -1;
  for (int64_t tm = 1; tm <= threads; ++tm) {
    const int64_t tn = threads / tm;
    if (tm > mt || tn > nt) continue;
    const double rows = static_cast<double>(ceil_div(mt, tm) * kMR);
    const double cols = static_cast<double>(ceil_div(nt, tn) * kNR);
    const double kk = static_cast<double>(k);
    const double packs = rows * kk * static_cast<double>(ceil_div(static_cast<int64_t>(cols), kNC)) + kk * cols;
    const double cost = rows * cols * kk + kPackWeight * packs;
    if (best_cost < 0 || cost < best_cost) {
      best_cost = cost;
      best = Grid{tm, tn};
    }
  }
  return best;
}

}  // namespace

PackedA::~PackedA() {
  if (data) cpu_backend().free(data, bytes);
}

bool pack_a_whole(bool trans, const float* A, int64_t lda, int64_t m, int64_t k, PackedA* out) {
  if (out->data) cpu_backend().free(out->data, out->bytes);
  out->data = nullptr;
  const size_t n = static_cast<size_t>(round_up(m, kMR) * k + kPackSlack);
  out->bytes = static_cast<size_t>(round_up(static_cast<int64_t>(n * sizeof(float)), 64));
  out->data = static_cast<float*>(cpu_backend().alloc(out->bytes));
  out->m = m;
  out->k = k;
  kernels().pack_a(trans, A, lda, 0, m, 0, k, out->data);
  return true;
}

void pack_b_whole(bool trans, const float* B, int64_t ldb, int64_t k, int64_t n, float* out) {
  kernels().pack_b(trans, B, ldb, 0, k, 0, n, out);
}

void pack_a_block(bool trans, const float* A, int64_t lda, int64_t i0, int64_t m, int64_t p0, int64_t kc, float* out) {
  kernels().pack_a(trans, A, lda, i0, m, p0, kc, out);
}

void pack_b_block(bool trans, const float* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t n, float* out) {
  kernels().pack_b(trans, B, ldb, p0, kc, j0, n, out);
}

void gemm_packed_serial(const PackedA& A, const float* Bp, int64_t n, float* C, int64_t ldc) {
  static_assert(kPanelWidth == kNR, "gemm.h panel width must match the micro-kernel");
  const Kernels& kern = kernels();
  // The K blocks of sgemm: the same product then gets bit-identical results either way.
  const int64_t K = A.k, kcb = k_block(K);
  for (int64_t pc = 0; pc < K; pc += kcb) {
    const int64_t kc = std::min(kcb, K - pc);
    const float beta = pc == 0 ? 0.f : 1.f;
    run_tiles(kern, kc, A.data + pc * kMR, kMR * K, Bp + pc * kNR, kNR * K, C, ldc, A.m, n, 1.f, beta);
  }
}

void gemm_packed_block(const float* Ap, const float* Bp, int64_t m, int64_t n, int64_t kc, float* C, int64_t ldc,
                       float beta, int64_t a_k) {
  static_assert(kPanelHeight == kMR, "gemm.h micro-panel height must match the micro-kernel");
  const Kernels& kern = kernels();
  if (a_k == 0) a_k = kc;
  run_tiles(kern, kc, Ap, kMR * a_k, Bp, kNR * kc, C, ldc, m, n, 1.f, beta);
}

void gemm_tile_rows(int64_t kc, const float* ap, int64_t a_step, const float* bp, float* const* rows, int m, int n) {
  const Kernels& kern = kernels();
  if (m == 2 * kMR && n == kNR && kern.rows12) {
    kern.rows12(kc, ap, a_step, bp, rows);
    return;
  }
  for (int r = 0; r < m; r += kMR, ap += a_step) kern.rows(kc, ap, bp, rows + r, std::min(kMR, m - r), n);
}

void gemm_tile_rows_pair(int64_t kc, const float* ap, int64_t a_step, const float* bp, int64_t b_step,
                         float* const* rows, int m) {
  const Kernels& kern = kernels();
  if (m == 2 * kMR && kern.rows12x32) {
    kern.rows12x32(kc, ap, a_step, bp, b_step, rows);
    return;
  }
  float* right[2 * kMR];
  for (int r = 0; r < m; ++r) right[r] = rows[r] + kNR;
  gemm_tile_rows(kc, ap, a_step, bp, rows, m, kNR);
  gemm_tile_rows(kc, ap, a_step, bp + b_step, right, m, kNR);
}

void gemm_tile_ranges(int nranges, const float* const* ap, int64_t a_step, const int64_t* kc, const float* bp, float* c,
                      int64_t ldc, int m, int n, float beta) {
  const Kernels& kern = kernels();
  if (m == 2 * kMR && n == kNR && kern.ranges12) {
    kern.ranges12(nranges, ap, a_step, kc, bp, c, ldc, beta);
    return;
  }
  if (m <= kMR) {
    kern.ranges(nranges, ap, kc, bp, c, ldc, m, n, beta);
    return;
  }
  // The second micro-panel's pieces sit a_step floats after the first's.
  const float* lower[kMaxTileRanges];
  for (int i = 0; i < nranges; ++i) lower[i] = ap[i] + a_step;
  kern.ranges(nranges, ap, kc, bp, c, ldc, kMR, n, beta);
  kern.ranges(nranges, lower, kc, bp, c + kMR * ldc, ldc, m - kMR, n, beta);
}

// Batch items per task so each task has enough work to pay for waking the pool.
int64_t batch_grain(int64_t work) { return ceil_div(kParallelMinWork, std::max<int64_t>(work, 1)); }

void sgemm_serial(const GemmArgs& a, const float* A, const float* B, float* C) {
  if (trivial(a, C)) return;
  gemm_rect(a, A, B, C, 0, a.m, 0, a.n);
}

void sgemm(const GemmArgs& a, const float* A, const float* B, float* C) {
  if (trivial(a, C)) return;
  const int64_t threads = num_threads();
  if (threads <= 1 || a.m * a.n * a.k < kParallelMinWork) {
    gemm_rect(a, A, B, C, 0, a.m, 0, a.n);
    return;
  }
  const Grid grid = choose_grid(a.m, a.n, a.k, threads);
  const int64_t mt = ceil_div(a.m, kMR), nt = ceil_div(a.n, kNR);
  parallel_tasks(grid.tm * grid.tn, [&](int64_t t) {
    const int64_t ti = t / grid.tn, tj = t % grid.tn;
    // Cut on tile boundaries so only the matrix edge has partial tiles.
    const int64_t m0 = std::min(a.m, mt * ti / grid.tm * kMR), m1 = std::min(a.m, mt * (ti + 1) / grid.tm * kMR);
    const int64_t n0 = std::min(a.n, nt * tj / grid.tn * kNR), n1 = std::min(a.n, nt * (tj + 1) / grid.tn * kNR);
    gemm_rect(a, A, B, C, m0, m1, n0, n1);
  });
}

}  // namespace nn::cpu

namespace nn {
namespace cpu {
int64_t batch_grain(int64_t work);
}

void CpuBackend::gemm(const GemmArgs& a, const float* A, const float* B, float* C) {
  if (a.batch <= 0) return;
  // Many small products: one whole product per task beats splitting each one.
  const int64_t work = a.m * a.n * a.k;
  if (a.batch > 1 && work < (int64_t(1) << 21) && num_threads() > 1) {
    parallel_for(a.batch, std::max<int64_t>(1, cpu::batch_grain(work)), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b)
        cpu::sgemm_serial(a, A + b * a.stride_a, B + b * a.stride_b, C + b * a.stride_c);
    });
    return;
  }
  for (int64_t b = 0; b < a.batch; ++b) cpu::sgemm(a, A + b * a.stride_a, B + b * a.stride_b, C + b * a.stride_c);
}

}  // namespace nn
