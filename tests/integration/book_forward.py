# Used by test_book_weights.cpp: builds pickles with the keys, shapes and dtypes of the book's
# trained weights (random values; one array of each stored as a Fortran-ordered transpose, as in
# the book's files), and scores the test digits with the book's own predict() written in NumPy
# (common/layers.py, common/util.py's im2col, ch03/neuralnet_mnist.py), in float64.
#   book_forward.py OUT_DIR MNIST_DIR
import gzip
import json
import os
import pickle
import sys

import numpy as np

out, mnist = sys.argv[1], sys.argv[2]


def read_idx(name, offset):
    path = os.path.join(mnist, name)
    data = open(path, 'rb').read() if os.path.exists(path) else gzip.open(path + '.gz').read()
    return np.frombuffer(data, dtype=np.uint8, offset=offset)


labels = read_idx('t10k-labels-idx1-ubyte', 8).astype(np.int64)
x_flat = read_idx('t10k-images-idx3-ubyte', 16).reshape(len(labels), 784).astype(np.float64) / 255.0
x_img = x_flat.reshape(-1, 1, 28, 28)
# The last layer is fitted to these (least squares on the random features), so the nets really
# classify and the comparison covers every kind of mistake, not one class predicted everywhere.
fit_labels = read_idx('train-labels-idx1-ubyte', 8)[:1000].astype(np.int64)
fit_flat = read_idx('train-images-idx3-ubyte', 16)[:1000 * 784].reshape(1000, 784).astype(np.float64) / 255.0


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], 'constant')
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def convolution(x, W, b, stride=1, pad=0):
    FN, C, FH, FW = W.shape
    N, C, H, Wd = x.shape
    out_h = 1 + int((H + 2 * pad - FH) / stride)
    out_w = 1 + int((Wd + 2 * pad - FW) / stride)
    col = im2col(x, FH, FW, stride, pad)
    out = np.dot(col, W.reshape(FN, -1).T) + b
    return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)


def pooling(x, pool=2, stride=2):
    N, C, H, W = x.shape
    out_h = int(1 + (H - pool) / stride)
    out_w = int(1 + (W - pool) / stride)
    col = im2col(x, pool, pool, stride, 0).reshape(-1, pool * pool)
    return np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)


def relu(x):
    return np.maximum(0, x)


def affine(x, W, b):
    return np.dot(x.reshape(x.shape[0], -1), W) + b


# Each predict() is split at its last Affine: features(n, x) is that Affine's input.
def features_ch03(n, x):  # ch03/neuralnet_mnist.py
    a1 = np.dot(x, n['W1']) + n['b1']
    z1 = sigmoid(a1)
    a2 = np.dot(z1, n['W2']) + n['b2']
    return sigmoid(a2)


def predict_ch03(n, x):
    a3 = np.dot(features_ch03(n, x), n['W3']) + n['b3']
    return a3  # the book applies softmax here: the argmax is the same


def features_simple_conv(n, x):  # ch07/simple_convnet.py
    h = pooling(relu(convolution(x, n['W1'], n['b1'])))
    return relu(affine(h, n['W2'], n['b2']))


def predict_simple_conv(n, x):
    return affine(features_simple_conv(n, x), n['W3'], n['b3'])


def features_deep_conv(n, x):  # ch08/deep_convnet.py, train_flg=False: Dropout scales by 1 - 0.5
    pads = [1, 1, 1, 2, 1, 1]
    h = x
    for i in range(6):
        h = relu(convolution(h, n['W%d' % (i + 1)], n['b%d' % (i + 1)], 1, pads[i]))
        if i % 2 == 1:
            h = pooling(h)
    return relu(affine(h, n['W7'], n['b7'])) * (1.0 - 0.5)


def predict_deep_conv(n, x):
    return affine(features_deep_conv(n, x), n['W8'], n['b8']) * (1.0 - 0.5)


rng = np.random.default_rng(16)


def he(shape, dtype, fortran=False):
    fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else shape[0]
    if fortran:  # stored as the transpose of a C-ordered array: NumPy pickles it Fortran-ordered
        a = (rng.standard_normal(shape[::-1]) * np.sqrt(2.0 / fan_in)).astype(dtype).T
        assert a.flags['F_CONTIGUOUS'] and not a.flags['C_CONTIGUOUS']
        return a
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


def bias(n, dtype):
    return (rng.standard_normal(n) * 0.1).astype(dtype)


nets = {}
def fit_last(params, features, last, x, scale=1.0):
    F = np.concatenate([features({k: v.astype(np.float64) for k, v in params.items()}, x[i:i + 250])
                        for i in range(0, len(x), 250)]) * scale
    Y = np.eye(10)[fit_labels]
    W = np.linalg.solve(F.T @ F + 1e-3 * np.trace(F.T @ F) / F.shape[1] * np.eye(F.shape[1]), F.T @ Y)
    params[last] = W.astype(params[last].dtype)
    params['b' + last[1:]] = np.zeros(10, params[last].dtype)


nets['sample_weight'] = ({'W1': he((784, 50), np.float32, True), 'b1': bias(50, np.float32),
                          'W2': he((50, 100), np.float32), 'b2': bias(100, np.float32),
                          'W3': he((100, 10), np.float32), 'b3': bias(10, np.float32)}, predict_ch03, x_flat)
nets['params'] = ({'W1': he((30, 1, 5, 5), np.float64), 'b1': bias(30, np.float64),
                   'W2': he((4320, 100), np.float64, True), 'b2': bias(100, np.float64),
                   'W3': he((100, 10), np.float64), 'b3': bias(10, np.float64)}, predict_simple_conv, x_img)
deep = {}
chans = [1, 16, 16, 32, 32, 64, 64]
for i in range(6):
    deep['W%d' % (i + 1)] = he((chans[i + 1], chans[i], 3, 3), np.float64)
    deep['b%d' % (i + 1)] = bias(chans[i + 1], np.float64)
deep.update({'W7': he((1024, 50), np.float64, True), 'b7': bias(50, np.float64),
             'W8': he((50, 10), np.float64), 'b8': bias(10, np.float64)})
nets['deep_convnet_params'] = (deep, predict_deep_conv, x_img)
fit_last(nets['sample_weight'][0], features_ch03, 'W3', fit_flat)
fit_last(nets['params'][0], features_simple_conv, 'W3', fit_flat.reshape(-1, 1, 28, 28))
fit_last(nets['deep_convnet_params'][0], features_deep_conv, 'W8', fit_flat.reshape(-1, 1, 28, 28), 0.5)

result = {}
for name, (params, predict, x) in nets.items():
    with open(os.path.join(out, name + '.pkl'), 'wb') as f:
        pickle.dump(params, f, protocol=2)  # the protocol Python 2 wrote
    p64 = {k: v.astype(np.float64) for k, v in params.items()}
    scores = np.concatenate([predict(p64, x[i:i + 250]) for i in range(0, len(x), 250)])
    pred = np.argmax(scores, axis=1)
    # common/functions.py: softmax (minus the row maximum), then cross_entropy_error's 1e-7.
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)
    loss = -np.sum(np.log(y[np.arange(len(labels)), labels] + 1e-7)) / len(labels)
    conf = np.zeros((10, 10), dtype=np.int64)
    np.add.at(conf, (labels, pred), 1)
    assert len(set(pred.tolist())) == 10, (name, 'predicts only', sorted(set(pred.tolist())))
    result[name] = {'accuracy': float(np.sum(pred == labels)) / len(labels), 'confusion': conf.tolist(),
                    'n': len(labels),
                    'loss': float(loss)}
json.dump(result, open(os.path.join(out, 'numpy.json'), 'w'))
print('numpy ok')
