// Chapter 4: derivatives by finite differences and plain gradient descent (gradient_1d.py,
// gradient_2d.py, gradient_method.py and common/gradient.py of the book).
//
// The element type T is deduced from x alone (the function arguments are std::type_identity_t), so
// a lambda can be passed directly: numerical_diff([](double x) { return x * x; }, 5.0).
#pragma once
#include <cstddef>
#include <functional>
#include <type_traits>
#include <vector>

#include "dlfs/tensor.hpp"

namespace dlfs {

// A scalar function of a tensor, such as x0^2 + x1^2 or "the loss of a net" (which ignores its
// argument and reads the parameter being perturbed in place, like the book's lambda W: net.loss(x, t)).
template <class T>
using TensorFn = std::function<T(const Tensor<T>&)>;

// (f(x + h) - f(x - h)) / 2h with h = 1e-4: the central difference of section 4.3.1.
template <class T>
T numerical_diff(const std::type_identity_t<std::function<T(T)>>& f, T x);

// The gradient of f at x, any shape: each element of x in turn is set to x+h and x-h (h = 1e-4),
// f is evaluated, and the element is restored to its exact original value, so x is bit-for-bit
// unchanged on return (also when f throws).
template <class T>
Tensor<T> numerical_gradient(const std::type_identity_t<TensorFn<T>>& f, Tensor<T>& x);
// Same, writing into grad (resized to x's shape, not reallocated when it fits).
template <class T>
void numerical_gradient_into(const std::type_identity_t<TensorFn<T>>& f, Tensor<T>& x, Tensor<T>& grad);

// step_num updates x -= lr * numerical_gradient(f, x) from init_x; returns the final x. When
// history is given it receives the x before each update (step_num entries), as the book's
// x_history used to plot the trajectory.
template <class T>
Tensor<T> gradient_descent(const std::type_identity_t<TensorFn<T>>& f, Tensor<T> init_x,
                           std::type_identity_t<T> lr = T(0.01), std::size_t step_num = 100,
                           std::vector<Tensor<T>>* history = nullptr);

}  // namespace dlfs
