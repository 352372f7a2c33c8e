// gradient_simplenet.py (section 4.4.2): a 2x3 weight matrix, its loss and numerical gradient.
// The weights are the ones the book prints (its script draws them with np.random.randn).
#include <cstdio>

#include "dlfs/functions.hpp"
#include "dlfs/gradient.hpp"
#include "dlfs/linalg.hpp"

struct simpleNet {
  dlfs::Tensor<double> W = dlfs::Tensor<double>::matrix({{0.47355232, 0.9977393, 0.84668094},
                                                         {0.85557411, 0.03563661, 0.69422093}});
  dlfs::Tensor<double> predict(const dlfs::Tensor<double>& x) { return dlfs::matmul(x, W); }
  double loss(const dlfs::Tensor<double>& x, const dlfs::Tensor<double>& t) {
    return dlfs::cross_entropy_error(dlfs::softmax(predict(x)), t);
  }
};

int main() {
  simpleNet net;
  auto x = dlfs::Tensor<double>::matrix({{0.6, 0.9}});
  auto t = dlfs::Tensor<double>::matrix({{0, 0, 1}});
  auto p = net.predict(x);
  std::printf("p = [%.8f, %.8f, %.8f]\n", p[0], p[1], p[2]);  // book: [1.05414809 0.63071653 1.1328074]
  std::printf("loss = %.8f\n", net.loss(x, t));               // book: 0.92806853663411326 (see the test)
  auto dW = dlfs::numerical_gradient([&](const dlfs::Tensor<double>&) { return net.loss(x, t); }, net.W);
  std::printf("dW = [[%.8f, %.8f, %.8f],\n      [%.8f, %.8f, %.8f]]\n", dW[0], dW[1], dW[2], dW[3], dW[4], dW[5]);
}
