// Row-sparse products for inputs that are mostly zeros: MNIST digits are ~80% zero pixels and
// Fashion-MNIST ~50%, so the first Affine of a net spends most of a dense GEMM multiplying by 0.
// These kernels compute the same sums as the GEMM over the non-zero entries only (a product with 0
// adds nothing), in a fixed order: results differ from BLAS only by summation order and are the
// same whichever thread computes which rows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>

namespace dlfs {

// How SparseRows keeps its entries. Rows: each row's non-zeros (CSR). Pairs: rows 2p and 2p + 1
// together, as the union of their non-zero columns with both rows' values there (0 where a row
// has none; a last odd row pairs with a zero row), which the AVX2 kernels multiply with one load
// of W for both rows (src/core/sparse_pairs.hpp). Auto: Pairs for float on CPUs whose best
// kernels are AVX2 (no AVX-512), Rows otherwise.
// Columns: the batch transposed, block by block of rows: for each block a fill covers and each
// pair of columns (2q, 2q + 1), the block's rows with a non-zero in either, increasing, with both
// values. The product keeps W's rows 2q, 2q + 1 in registers and adds them into the listed
// output rows; dW's rows 2q, 2q + 1 are summed in registers over the listed dout rows. Each sum
// still takes its terms in the Rows layout's order (columns increasing for an output row, rows
// increasing for a dW row), so the numbers are the same; there are fewer entries, because
// neighbouring pixels of one image are alike more often than two images are (MNIST: 88 entries
// a row against 115 for row pairs). Float with AVX2 only; a product of rows [r0, r1) needs the
// block filled as exactly [r0, r1).
// Tiles: not sparse at all: the batch's bytes as bf16 tiles for Intel AMX (sparse_tiles_preferred),
// multiplied whole by tiles_affine / tiles_weight_grad with each float operand split into three
// bf16 parts (src/core/amx.hpp): one tile instruction does 8,192 multiply-adds, so skipping zeros
// no longer pays. Only from bytes (compress_bytes), float only; ranges start at multiples of 32
// rows. With `transposed` (reset), the batch is also kept transposed, for dW.
enum class SparseLayout { Auto, Rows, Pairs, Columns, Tiles };

// Buffers of bf16 tiles, 64-byte aligned: a tile row that straddles two cache lines made every
// tile load touch twice the lines, and the AMX products twice as slow.
struct TileDelete {
  void operator()(std::uint16_t* p) const { ::operator delete[](p, std::align_val_t(64)); }
};
using TileBuffer = std::unique_ptr<std::uint16_t[], TileDelete>;
inline TileBuffer make_tile_buffer(std::size_t n) { return TileBuffer(new (std::align_val_t(64)) std::uint16_t[n]); }

// The non-zero entries of a dense (rows, cols) matrix, row by row (CSR with per-row starts, so
// that several threads can fill disjoint row ranges at once), or pair by pair (see SparseLayout).
// Buffers grow, never shrink, and are left uninitialised so that only the entries written take
// memory.
template <class T>
class SparseRows {
 public:
  // Sizes the buffers for a (rows, cols) matrix; threads fill ranges with compress_rows. In the
  // Pairs layout a range [r0, r1) must start at an even row and end at an even row or at `rows`.
  void reset(std::size_t rows, std::size_t cols, SparseLayout layout = SparseLayout::Auto, bool transposed = true);
  bool paired() const { return paired_; }
  bool columns() const { return columns_; }
  bool tiles() const { return tiles_; }
  // Collects the non-zeros of rows [r0, r1) of x (row-major, leading dimension cols); returns
  // their number. Rows of one call are stored contiguously from a start that depends only on r0.
  std::size_t compress_rows(const T* x, std::size_t r0, std::size_t r1);
  // The same from bytes, each entry stored as T(byte) * scale (the datasets' uint8 pixels, so a
  // batch goes from the images to its non-zeros in one pass, without a float copy in between).
  // Row r of the batch is the `cols` bytes at base + src_row(r) * stride, where src_row(r) is
  // rows[r] when rows is given and first + r otherwise. The values equal compress_rows on the
  // converted floats bit for bit.
  std::size_t compress_bytes(const std::uint8_t* base, std::size_t stride, const std::size_t* rows,
                             std::size_t first, std::size_t r0, std::size_t r1, T scale);

  // Rows [r0, r1) of this batch are rows first + r0 .. first + r1 of src (a batch compressed
  // once, e.g. an evaluation set): a copy of their entries, for the same threads as above.
  void copy_rows(const SparseRows& src, std::size_t first, std::size_t r0, std::size_t r1);
  // Total number of entries kept (after a fill of every row; union entries in the Pairs layout).
  std::size_t entries() const;

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  // Rows layout: entries of row r: index(r)[i] is the column, value(r)[i] the value, i < count(r),
  // columns increasing.
  std::size_t count(std::size_t r) const { return count_[r]; }
  const std::uint32_t* index(std::size_t r) const { return index_.get() + start_[r]; }
  const T* value(std::size_t r) const { return value_.get() + start_[r]; }
  // Pairs layout: pair p (rows 2p, 2p + 1) has pair_count(p) columns pair_index(p)[u], increasing,
  // and values pair_value(p)[2u] (row 2p) and pair_value(p)[2u + 1] (row 2p + 1).
  std::size_t pair_count(std::size_t p) const { return count_[p]; }
  const std::uint32_t* pair_index(std::size_t p) const { return index_.get() + start_[p]; }
  const T* pair_value(std::size_t p) const { return value_.get() + 2 * start_[p]; }
  // Columns layout: the block filled as [r0, block_end(r0)); its column pair q (columns 2q,
  // 2q + 1) has column_pair_count(r0, q) rows column_pair_rows(r0, q)[u] (counted from r0,
  // increasing) with values column_pair_value(r0, q)[2u] (column 2q) and [2u + 1] (column 2q + 1).
  std::size_t block_end(std::size_t r0) const { return block_end_[r0]; }
  // block_end(r0), checked: throws std::logic_error when no block was filled from row r0 (a set
  // whose rows were not all filled).
  std::size_t next_block(std::size_t r0) const;
  // For a set that is only multiplied (an evaluation set, compressed once): reorders each
  // column pair's rows into those with both values non-zero, then column 2q's only, then column
  // 2q + 1's only (each part still increasing), so that the product skips the multiplications
  // by 0 (MNIST: 29% of the entries have one value). Each output row still gets its terms in
  // increasing column. sparse_weight_grad refuses a split set (dW needs the rows in one order).
  void split_column_pairs();
  bool split() const { return split_; }
  // Tiles layout: the rows as bf16 in blocks of 32 rows x tile_lda() (zeros past cols()), each
  // block stored tile by tile (src/core/amx.hpp), scaled by tile_scale(r) (the bytes are kept as
  // they are); with `transposed`, the batch's columns the same way, blocks of 32 columns x
  // tile_ldt() (zeros past rows()).
  const std::uint16_t* tile_rows() const { return tile_a_.get(); }
  std::size_t tile_lda() const { return tile_lda_; }
  const std::uint16_t* tile_transposed() const { return tile_t_.get(); }
  std::size_t tile_ldt() const { return tile_ldt_; }
  bool tile_has_transposed() const { return tile_transposed_; }
  // The scale given to the fill of row r's block of 32 (kept per block: threads fill blocks at
  // once, and each product reads the scale its own thread wrote).
  T tile_scale(std::size_t r) const { return tile_scale_[r / 32]; }
  // After split_column_pairs: how many of column pair q's rows have both values, and how many
  // column 2q's only (the rest have column 2q + 1's only).
  std::size_t column_pair_both(std::size_t r0, std::size_t q) const { return cboth_[r0 * column_pairs() + q]; }
  std::size_t column_pair_first_only(std::size_t r0, std::size_t q) const { return cfirst_[r0 * column_pairs() + q]; }
  std::size_t column_pairs() const { return (cols_ + 1) / 2; }
  std::size_t column_pair_count(std::size_t r0, std::size_t q) const { return ccount_[r0 * column_pairs() + q]; }
  const std::uint32_t* column_pair_rows(std::size_t r0, std::size_t q) const {
    return index_.get() + cstart_[r0 * column_pairs() + q];
  }
  const T* column_pair_value(std::size_t r0, std::size_t q) const {
    return value_.get() + 2 * std::size_t(cstart_[r0 * column_pairs() + q]);
  }

 private:
  template <class U>
  friend void sparse_weight_grad(const SparseRows<U>&, std::size_t, std::size_t, const U*, std::size_t, U*);

  std::size_t rows_ = 0, cols_ = 0, capacity_ = 0, row_capacity_ = 0, row_slots_ = 0;
  bool paired_ = false, columns_ = false, split_ = false, tiles_ = false, tile_transposed_ = false;
  // Tiles layout: the rows as bf16 (padded rows x tile_lda_) and the transpose (tile_lda_ x
  // tile_ldt_), and the scale of the bytes.
  TileBuffer tile_a_, tile_t_;
  std::size_t tile_a_capacity_ = 0, tile_t_capacity_ = 0, tile_lda_ = 0, tile_ldt_ = 0;
  std::unique_ptr<T[]> tile_scale_;
  std::size_t tile_scale_slots_ = 0;
  std::size_t fill_tiles(const std::uint8_t* base, std::size_t stride, const std::size_t* rows, std::size_t first,
                         std::size_t r0, std::size_t r1, T scale);
  // Columns layout: per (block's first row, column pair) the start and count of its rows, and
  // where each block ends (set for the first row of each block).
  std::size_t column_slots_ = 0, block_slots_ = 0;
  std::unique_ptr<std::uint32_t[]> cstart_, ccount_, cboth_, cfirst_;
  std::unique_ptr<std::size_t[]> block_end_;
  // Fills the block [r0, r1) in the Columns layout; pair(q, row0, idx, val) stores column pair
  // q's entries of the block and returns their number.
  template <class F>
  std::size_t fill_columns(std::size_t r0, std::size_t r1, F&& pair);
  // Checks that [r0, r1) can be filled (whole pairs in the Pairs layout) and returns the first
  // entry slot of a range starting at row r0.
  std::size_t range_start(std::size_t r0, std::size_t r1) const;
  // Fills rows [r0, r1) unit by unit (a row, or a pair of rows): unit(r, idx, val) stores the
  // entries of the unit starting at row r and returns their number; the starts and counts are
  // kept here. Returns the range's total.
  template <class F>
  std::size_t fill_range(std::size_t r0, std::size_t r1, F&& unit);
  std::unique_ptr<std::size_t[]> start_, count_;
  std::unique_ptr<std::uint32_t[]> index_;
  std::unique_ptr<T[]> value_;
  // Scratch of sparse_weight_grad: the entries regrouped by column (threads use disjoint columns).
  std::size_t col_capacity_ = 0, col_slots_ = 0;
  std::unique_ptr<std::uint32_t[]> col_row_;
  std::unique_ptr<T[]> col_val_;
  std::unique_ptr<std::size_t[]> col_count_;
};

// out[r, :] = b + sum_k x[r, k] W[k, :] for rows [r0, r1) of x; W is (cols, M), b (M,) or null,
// out (rows, M) row-major. Terms are added in increasing k, starting from b.
// x_first: output row r comes from row x_first + r of x (a slice of a larger compressed set).
template <class T>
void sparse_affine_rows(const SparseRows<T>& x, std::size_t r0, std::size_t r1, const T* W, const T* b,
                        std::size_t M, T* out, std::size_t x_first = 0);

// dW[k, :] = sum_r x[r, k] dout[r, :] for the rows k in [k0, k1) of dW (cols, M), summed over
// r = 0, 1, ..., rows-1 in that order; rows of dW in the range that no entry touches become 0.
// Uses scratch space inside x, so two calls on the same x may run at once only for disjoint
// [k0, k1) ranges.
template <class T>
void sparse_weight_grad(const SparseRows<T>& x, std::size_t k0, std::size_t k1, const T* dout, std::size_t M,
                        T* dW);

// The right operand of the Tiles layout's products, (K, M) float split and packed for AMX.
class TileOperand {
 public:
  void pack(const float* B, std::size_t K, std::size_t M);
  const std::uint16_t* data() const { return data_.get(); }
  std::size_t K() const { return K_; }
  std::size_t M() const { return M_; }

 private:
  TileBuffer data_;
  std::size_t capacity_ = 0, K_ = 0, M_ = 0;
};

// Tiles layout: out[r, :] = b + scale * x[r, :] W for rows [r0, r1) (r0 a multiple of 32; b
// null for none), W packed from (cols, M); out (rows, M).
void tiles_affine(const SparseRows<float>& x, std::size_t r0, std::size_t r1, const TileOperand& W, const float* b,
                  float* out);
// Tiles layout with the transpose kept: dW[k, :] = scale * sum_r x[r, k] dout[r, :] for k in
// [k0, k1) (k0 a multiple of 32), dout packed from (rows, M); dW (cols, M).
void tiles_weight_grad(const SparseRows<float>& x, std::size_t k0, std::size_t k1, const TileOperand& dout,
                       float* dW);
// Whether the Tiles layout is in use for T's first-layer batches (float, AMX kernels selected).
template <class T>
bool sparse_tiles_preferred();

// Whether SparseLayout::Auto means Pairs for T (float with the AVX2 kernels in use).
template <class T>
bool sparse_pairs_preferred();

// The float kernels in use: "amx" (AVX-512 for the sparse layouts, AMX for Tiles), "avx512",
// "avx2" or "plain" (double always uses the plain loops).
std::string sparse_kernels();
// Selects "amx", "avx512", "avx2", "plain" or "best" (the default); false when this CPU lacks
// them. The environment variable DLFS_SPARSE_KERNELS sets the starting choice the same way.
// For tests and benchmarks; not thread-safe against running kernels.
bool set_sparse_kernels(const std::string& name);

}  // namespace dlfs
