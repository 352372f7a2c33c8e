// Intel AMX products for a net's first Affine on byte images (internal to the core module; see
// SparseLayout::Tiles in dlfs/sparse.hpp).
//
// Why: on a CPU with AMX (Sapphire Rapids and later) one tile instruction does 16 x 16 x 32
// multiply-adds, against 16 for an AVX-512 FMA. AMX multiplies bf16 (8-bit significand), so to
// keep float32 accuracy every float operand is split into three bf16 parts whose sum is the float
// exactly (hi = bf16(x), mid = bf16(x - hi), lo = x - hi - mid: 8 + 8 + 8 significant bits), and
// pixels enter as their bytes, integers 0..255 that bf16 holds exactly; the product is then scaled
// by 1/255. Each product of a byte by a part is exact in the fp32 accumulator, so the only
// rounding is the accumulation's, as in a float32 GEMM (the order differs: these are not the
// other kernels' bits, but about as close to the exact sum; tests bound the difference).
//
// Layouts (bf16 as uint16_t):
//  - A, the left operand: blocks of 32 rows x lda bf16 (lda a multiple of 32, zeros past the
//    data), each block stored tile by tile: for each step of 32 columns, its 32 rows of 32 bf16
//    (64 bytes) one after the other, so that a tile load reads 1 KB in one piece (rows of a
//    plain row-major block are lda apart, and the product waited on them).
//  - B, the right operand (K, M) float, packed by pack_b: K padded to a multiple of 32, in the
//    tile order the product reads (steps of 32 rows of K, then column tiles of 16 columns, the
//    last only as wide as the columns left, then the three parts; each tile 16 pairs of K rows,
//    the pair interleaved as AMX wants).
#pragma once
#include <cstddef>
#include <cstdint>

namespace dlfs::amx {

// Whether this CPU has AMX-BF16 and the kernel granted this process the tile state.
bool available();

constexpr std::size_t kBlock = 32;  // rows of A per product block, and K per step
inline std::size_t padded(std::size_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

// uint16_t elements of pack_b's output for a (K, M) operand.
std::size_t packed_b_size(std::size_t K, std::size_t M);
// B (K, M) with leading dimension ldb, split and packed (see above); padding is zero.
void pack_b(const float* B, std::size_t K, std::size_t M, std::size_t ldb, std::uint16_t* out);

// A block of A (above) at dst: row i = rows[i][0, cols) as bf16, then zeros, for i < n <= 32;
// rows n..31 are not written (product() never stores their results). rows[n, n + more) are the
// next block's, prefetched on the way; cold: this block's first rows were not prefetched by the
// block before.
void pack_rows(const std::uint8_t* const* rows, std::size_t n, std::size_t more, bool cold, std::size_t cols,
               std::uint16_t* dst, std::size_t lda);
// The transpose of n <= 32 byte rows as columns [32 step, 32 step + 32) of an A of ldt columns
// at dst (blocks as above): its row k, column 32 step + i = rows[i][k] as bf16, for k < cols and
// i < 32 (0 for i >= n). For dW = x^T dout, where the batch's rows are the sum.
void pack_block_transposed(const std::uint8_t* const* rows, std::size_t n, std::size_t cols, std::uint16_t* dst,
                           std::size_t ldt, std::size_t step);

// out[i, :] = bias + scale * sum_k A[i, k] B[k, :] for the first `rows` <= 32 rows of the block of
// A at `a` (32 rows of lda bf16 as above, K = lda), bias null for none; out has leading dimension ldo and
// M columns. B packed by pack_b for (lda, M) (or a smaller K: its padding is zero).
void product(const std::uint16_t* a, std::size_t lda, std::size_t rows, const std::uint16_t* b, std::size_t M,
             const float* bias, float scale, float* out, std::size_t ldo);

}  // namespace dlfs::amx
