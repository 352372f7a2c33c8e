// Chapters 3 and 4: the activation functions, softmax and the two losses, as reference functions
// on whole tensors (common/functions.py of the book). Each returns a new tensor; the layers of
// chapter 5 keep their own buffered versions. The *_into variants write into a caller's buffer
// (resized, not reallocated, when it fits) so a net can call them every batch without allocating.
//
// Naming: the book's tanh is np.tanh; dlfs calls it tanh_fn so that it never clashes with std::tanh
// (and with ::tanh from <math.h>) under argument-dependent lookup or `using namespace std`.
#pragma once
#include <cstddef>
#include <string>

#include "dlfs/tensor.hpp"

namespace dlfs {

// 1 where x > 0, else 0 (the perceptron's activation, section 3.2.2).
template <class T>
Tensor<T> step_function(const Tensor<T>& x);

// 1 / (1 + exp(-x)), computed without overflow for large |x|.
template <class T>
Tensor<T> sigmoid(const Tensor<T>& x);
template <class T>
void sigmoid_into(const Tensor<T>& x, Tensor<T>& out);

// Derivative of the sigmoid at x: (1 - sigmoid(x)) * sigmoid(x), as the book's sigmoid_grad.
template <class T>
Tensor<T> sigmoid_grad(const Tensor<T>& x);

// max(0, x).
template <class T>
Tensor<T> relu(const Tensor<T>& x);

// Derivative of relu as the book's relu_grad: 1 where x >= 0, else 0. (The Relu layer of chapter 5
// masks x <= 0 instead; the two differ only at exactly 0.)
template <class T>
Tensor<T> relu_grad(const Tensor<T>& x);

// x itself (the output activation for regression, section 3.4.2).
template <class T>
Tensor<T> identity_function(const Tensor<T>& x);

// Hyperbolic tangent, elementwise (np.tanh in the book).
template <class T>
Tensor<T> tanh_fn(const Tensor<T>& x);

// Softmax of a 1-D vector, or of each row of a 2-D batch (N, C). The row maximum is subtracted
// before exp (section 3.5.2), so softmax([1010, 1000, 990]) is finite and equals
// softmax([20, 10, 0]). Other ranks throw ShapeError.
template <class T>
Tensor<T> softmax(const Tensor<T>& x);
template <class T>
void softmax_into(const Tensor<T>& x, Tensor<T>& out);

// 0.5 * sum((y - t)^2) over every element (no batch mean, as the book). y and t must have the
// same shape.
template <class T>
T sum_squares_error(const Tensor<T>& y, const Tensor<T>& t);

// Cross-entropy -sum(t * log(y + 1e-7)) averaged over the batch (section 4.2.4). y is a 1-D
// vector of probabilities (one sample) or a 2-D batch (N, C). t is either one-hot (or any target
// distribution) with y's shape, or class indices: shape (N,) for a batch, (1,) for a 1-D y.
// Indices must be whole numbers in [0, C); anything else throws std::invalid_argument.
template <class T>
T cross_entropy_error(const Tensor<T>& y, const Tensor<T>& t);

// --- Helpers shared by the losses and the nets that take targets either way. ---

// True when t is one-hot for y (same shape); false when t holds one class index per row of y
// (y (N, C) with t (N,), or y (C,) with t (1,)). Any other pair throws ShapeError naming `where`
// and both shapes.
bool targets_are_one_hot(const Shape& y, const Shape& t, const std::string& where);

// The class index stored in t[row], checked to be a whole number in [0, classes).
template <class T>
std::size_t class_index(const Tensor<T>& t, std::size_t row, std::size_t classes, const std::string& where);

}  // namespace dlfs
