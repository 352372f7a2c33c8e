#!/usr/bin/python3
"""The PyTorch (and NumPy) side of bench/run.sh. Run with Debian's /usr/bin/python3, which has
python3-torch and python3-numpy.

  torch_bench.py train DATA_DIR THREADS [ITERS]
      The seeds' run, written the way a PyTorch user would: TwoLayerNet 784-50-10 with ReLU
      (W = 0.01 * randn, b = 0), ITERS (10,000) iterations of 100 training rows drawn with
      replacement, plain SGD lr 0.1, and after every epoch (train_size / 100 iterations, plus once
      after the last iteration when it is not an epoch end, as dlfs's Trainer) the accuracy on the
      full training and test sets. float32 throughout; the whole set is converted to float32
      once (the usual PyTorch way, and faster than converting per batch). Prints one JSON line.

  torch_bench.py conv DATA_DIR THREADS
      One epoch of the book's SimpleConvNet (conv 30x5x5, ReLU, pool 2x2, Affine 100, ReLU,
      Affine 10), Adam lr 0.001, batch 100, with replacement, then train and test accuracy.

  torch_bench.py numgrad DATA_DIR ELEMENTS
      The book's ch.4 numerical_gradient loop (common/gradient.py) on the chapter-4 TwoLayerNet
      (784-50-10, sigmoid, float64 weights as np.random.randn gives) for a batch of the first 100
      training digits, in NumPy and in PyTorch. The full loop (39,760 parameters, two losses
      each) takes tens of seconds, so only the first ELEMENTS elements of each parameter are
      timed and the time is extrapolated to all 39,760 (every element costs the same two losses).
"""
import gzip
import json
import os
import sys
import time

import numpy as np


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(dir_, stem):
    for name in (stem + "-idx3-ubyte", stem + "-idx1-ubyte", stem.replace("-", ".", 1) + "-idx3-ubyte"):
        for ext in ("", ".gz"):
            p = os.path.join(dir_, name + ext)
            if os.path.exists(p):
                return p
    for name in os.listdir(dir_):
        if name.startswith(stem):
            return os.path.join(dir_, name)
    raise FileNotFoundError(f"{stem} not found in {dir_}")


def load(dir_):
    xs = [read_idx(find(dir_, s)) for s in ("train-images", "t10k-images")]
    ts = [read_idx(find(dir_, s)) for s in ("train-labels", "t10k-labels")]
    return xs[0], ts[0], xs[1], ts[1]


def bench_train(data_dir, threads, iters):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    xtr8, ttr8, xte8, tte8 = load(data_dir)
    x_train = torch.from_numpy(xtr8.reshape(len(xtr8), -1).astype(np.float32) / 255)
    x_test = torch.from_numpy(xte8.reshape(len(xte8), -1).astype(np.float32) / 255)
    t_train = torch.from_numpy(ttr8.astype(np.int64))
    t_test = torch.from_numpy(tte8.astype(np.int64))
    train_size, batch_size, lr = len(x_train), 100, 0.1
    W1 = (0.01 * torch.randn(784, 50)).requires_grad_()
    b1 = torch.zeros(50, requires_grad=True)
    W2 = (0.01 * torch.randn(50, 10)).requires_grad_()
    b2 = torch.zeros(10, requires_grad=True)
    params = [W1, b1, W2, b2]

    def predict(x):
        return torch.relu(x @ W1 + b1) @ W2 + b2

    def accuracy(x, t):
        with torch.no_grad():
            return (predict(x).argmax(1) == t).float().mean().item()

    iter_per_epoch = max(train_size // batch_size, 1)
    losses, train_acc, test_acc = [], [], []
    t0 = time.perf_counter()
    for i in range(1, iters + 1):
        idx = torch.randint(0, train_size, (batch_size,))  # np.random.choice(train_size, batch_size)
        loss = torch.nn.functional.cross_entropy(predict(x_train[idx]), t_train[idx])
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        losses.append(loss.item())
        if i % iter_per_epoch == 0 or i == iters:
            train_acc.append(accuracy(x_train, t_train))
            test_acc.append(accuracy(x_test, t_test))
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "threads": threads, "iters": iters, "epochs": len(train_acc),
                      "train_size": train_size, "test_size": len(x_test),
                      "final_train_acc": train_acc[-1], "final_test_acc": test_acc[-1],
                      "torch": torch.__version__}))


def bench_conv(data_dir, threads):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    xtr8, ttr8, xte8, tte8 = load(data_dir)
    x_train = torch.from_numpy(xtr8.astype(np.float32)[:, None] / 255)
    x_test = torch.from_numpy(xte8.astype(np.float32)[:, None] / 255)
    t_train = torch.from_numpy(ttr8.astype(np.int64))
    t_test = torch.from_numpy(tte8.astype(np.int64))
    std = 0.01
    W1 = (std * torch.randn(30, 1, 5, 5)).requires_grad_()
    b1 = torch.zeros(30, requires_grad=True)
    W2 = (std * torch.randn(30 * 12 * 12, 100)).requires_grad_()
    b2 = torch.zeros(100, requires_grad=True)
    W3 = (std * torch.randn(100, 10)).requires_grad_()
    b3 = torch.zeros(10, requires_grad=True)
    params = [W1, b1, W2, b2, W3, b3]
    opt = torch.optim.Adam(params, lr=0.001)

    def predict(x):
        h = F.max_pool2d(F.relu(F.conv2d(x, W1, b1)), 2)
        return F.relu(h.flatten(1) @ W2 + b2) @ W3 + b3

    def accuracy(x, t):
        with torch.no_grad():
            correct = 0
            for s in range(0, len(x), 1000):
                correct += (predict(x[s:s + 1000]).argmax(1) == t[s:s + 1000]).sum().item()
            return correct / len(x)

    train_size = len(x_train)
    iters = max(train_size // 100, 1)
    t0 = time.perf_counter()
    for i in range(iters):
        idx = torch.randint(0, train_size, (100,))
        loss = F.cross_entropy(predict(x_train[idx]), t_train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    tr, te = accuracy(x_train, t_train), accuracy(x_test, t_test)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "threads": threads, "iters": iters, "final_train_acc": tr,
                      "final_test_acc": te}))


# ---- chapter 4: the book's code, as in ch04/two_layer_net.py and common/gradient.py ----

def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def numerical_gradient(f, x, limit):
    """common/gradient.py's loop over the first `limit` elements of x (np.nditer order; ndindex
    here so that the same loop also walks a torch tensor)."""
    h = 1e-4
    grad = np.zeros(x.shape)
    done = 0
    for idx in np.ndindex(*x.shape):
        if done == limit:
            break
        tmp_val = x[idx].item()  # a Python float: a torch x[idx] would be a view, not a copy
        x[idx] = tmp_val + h
        fxh1 = f(x)  # f(x+h)
        x[idx] = tmp_val - h
        fxh2 = f(x)  # f(x-h)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        done += 1
    return grad, done


def bench_numgrad(data_dir, elements):
    xtr8, ttr8, _, _ = load(data_dir)
    x = xtr8[:100].reshape(100, -1).astype(np.float32) / 255
    t = ttr8[:100].astype(np.int64)
    rng = np.random.default_rng(0)
    params = {"W1": 0.01 * rng.standard_normal((784, 50)), "b1": np.zeros(50),
              "W2": 0.01 * rng.standard_normal((50, 10)), "b2": np.zeros(10)}

    def loss_np(_):
        a1 = np.dot(x, params["W1"]) + params["b1"]
        z1 = sigmoid(a1)
        a2 = np.dot(z1, params["W2"]) + params["b2"]
        return cross_entropy_error(softmax(a2), t)

    total = sum(p.size for p in params.values())
    out = {"elements_total": total}
    timed = 0
    t0 = time.perf_counter()
    for p in params.values():
        timed += numerical_gradient(loss_np, p, elements)[1]
    out["numpy_seconds_timed"] = time.perf_counter() - t0
    out["numpy_elements_timed"] = timed
    out["numpy_seconds"] = out["numpy_seconds_timed"] * total / timed

    import torch
    best = None
    for threads in (1, 2):
        torch.set_num_threads(threads)
        xt, tt = torch.from_numpy(x), torch.from_numpy(t)
        tp = {k: torch.from_numpy(v.astype(np.float32)) for k, v in params.items()}

        def loss_torch(_):
            with torch.no_grad():
                a2 = torch.sigmoid(xt @ tp["W1"] + tp["b1"]) @ tp["W2"] + tp["b2"]
                y = torch.softmax(a2, dim=1)
                return -(torch.log(y[torch.arange(100), tt] + 1e-7)).sum().item() / 100

        timed = 0
        t0 = time.perf_counter()
        for v in tp.values():
            timed += numerical_gradient(loss_torch, v, elements)[1]
        s = (time.perf_counter() - t0) * total / timed
        if best is None or s < best[0]:
            best = (s, threads)
    out["torch_seconds"], out["torch_threads"] = best
    print(json.dumps(out))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "train":
        bench_train(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 10000)
    elif mode == "conv":
        bench_conv(sys.argv[2], int(sys.argv[3]))
    elif mode == "numgrad":
        bench_numgrad(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(f"unknown mode {mode}: train, conv or numgrad")
