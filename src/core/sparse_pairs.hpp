// AVX2 kernels for rows taken two at a time (internal to the core module; see SparseRows'
// paired layout in dlfs/sparse.hpp).
//
// Why pairs: on CPUs with AVX2 but no AVX-512 (and 128-bit load ports, such as AMD Zen 1), the
// one-row kernel loads one W vector per multiply-add and is bound by loads at about half the FMA
// rate. Two rows that share a column list (the union of their non-zero columns, each row's value
// there or 0) use every W vector loaded twice, so the FMA units set the pace: fewer loads per
// useful multiply-add even counting the multiplications by 0 the union adds. Adding 0 * w leaves
// every sum as it was (up to the sign of a zero sum), so the results are the one-row kernel's.
#pragma once
#include <cstddef>
#include <cstdint>

namespace dlfs::pairs {

// For an 8-bit mask of kept lanes, the kept lane numbers in order, then zeros (32-byte aligned):
// the vpermps index that packs those lanes to the front of a vector (AVX2 has no compress).
const std::uint32_t* pack_lanes(unsigned mask);

// The union of the non-zero columns of rows a and b (b may be null: a zero row), increasing;
// idx[u] the column, val[2u] and val[2u + 1] the two rows' values (T(byte) * scale). Writes up to
// 8 indices and 16 values past the returned count.
std::size_t compress_bytes(const std::uint8_t* a, const std::uint8_t* b, std::size_t cols, float scale,
                           std::uint32_t* idx, float* val);
std::size_t compress_floats(const float* a, const float* b, std::size_t cols, std::uint32_t* idx, float* val);

// out_a = bias + sum_u val[2u] W[idx[u], :], out_b the same with val[2u + 1]; terms in order of
// u, starting from bias (null: 0). W is (cols, M) row-major.
void affine(const std::uint32_t* idx, const float* val, std::size_t n, const float* W, const float* bias,
            std::size_t M, float* out_a, float* out_b);

// The same with a start of its own for each row (null: 0); bias_a may be out_a (the sums go on
// from the values there) and bias_b out_b.
void affine(const std::uint32_t* idx, const float* val, std::size_t n, const float* W, const float* bias_a,
            const float* bias_b, std::size_t M, float* out_a, float* out_b);

// dW[idx[u], :] = (dW[idx[u], :] + val[2u] da) + val[2u + 1] db for u in [0, n), in that order.
void weight_grad(const std::uint32_t* idx, const float* val, std::size_t n, const float* da, const float* db,
                 std::size_t M, float* dW);

// out[idx[u], :] += val[2u] w for u in [0, n), in that order (the entries of a column pair that
// have only one non-zero value: val points at that value's slot).
void add_rows(const std::uint32_t* idx, const float* val, std::size_t n, const float* w, std::size_t M, float* out);

// The columns layout (SparseLayout::Columns): a block of rows transposed, then each pair of
// columns as the list of the block's rows that have a non-zero in either.
//
// out[k * ld + i] = rows[i][k] for k < cols and i < ld (0 for i >= n); ld a multiple of 32, >= n.
void transpose_bytes(const std::uint8_t* const* rows, std::size_t n, std::size_t cols, std::uint8_t* out,
                     std::size_t ld);
// The rows i < ld where a[i] or b[i] (b null: zeros) is non-zero, increasing: idx[u] = row0 + i,
// val[2u] = value_of[a[i]], val[2u + 1] = value_of[b[i]] (a table of float(byte) * scale: a load
// instead of a conversion and a multiply per value). Writes exactly the entries returned. ld a
// multiple of 32.
std::size_t compress_column_pair(const std::uint8_t* a, const std::uint8_t* b, std::size_t ld, const float* value_of,
                                 std::uint32_t row0, std::uint32_t* idx, float* val);

}  // namespace dlfs::pairs
