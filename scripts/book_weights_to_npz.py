#!/usr/bin/python3
"""Convert the trained weights shipped with the book's repository into dlfs model files.

    scripts/book_weights_to_npz.py INPUT.pkl OUTPUT.npz [--net auto|ch03|simple-conv|deep-conv]

INPUT is one of
  ch03/sample_weight.pkl        the 3-layer net of ch03/neuralnet_mnist.py:
                                W1 (784, 50), b1, W2 (50, 100), b2, W3 (100, 10), b3
  ch07/params.pkl               SimpleConvNet: W1 (30, 1, 5, 5), b1, W2 (4320, 100), b2, W3 (100, 10), b3
  ch08/deep_convnet_params.pkl  DeepConvNet: W1..W8, b1..b8
OUTPUT is an .npz with the same arrays under the same names plus the "__config__" entry dlfs
writes itself, so `dlfs evaluate --model OUTPUT` and `dlfs predict --model OUTPUT` need no
architecture flags. The net is recognised from the keys (--net auto) or named with --net.

What differs from the book:
  * ch03: dlfs has no class for neuralnet_mnist.py's hand-written predict(); the file becomes a
    dlfs "multi-layer" net with activation sigmoid and hidden sizes 50, 100: Affine, Sigmoid,
    Affine, Sigmoid, Affine, the same arithmetic. The book's predict() ends with softmax, dlfs's
    predict returns the scores before it: the argmax (accuracy) is the same, and dlfs's loss is
    SoftmaxWithLoss, the cross-entropy of that softmax (ch03's script computes no loss).
  * The arrays keep their dtype (sample_weight.pkl is float32; the ch07/ch08 files hold float64,
    for `dlfs evaluate --precision double`). Arrays are written in C order: the book's pickles
    hold some Fortran-ordered transposes, which dlfs would also read, but C order is what every
    reader expects.

Uses only Python 3's standard library and NumPy. The pickles may come from Python 2; they are
read with encoding='latin1', and only NumPy arrays, dtypes and dicts are accepted (a pickle
can otherwise run any code).
"""
import argparse
import io
import json
import os
import pickle
import sys
import tempfile

import numpy as np


def deep_conv_shapes():
    s = {}
    chans = [1, 16, 16, 32, 32, 64, 64]
    for i in range(6):
        s['W%d' % (i + 1)] = (chans[i + 1], chans[i], 3, 3)
        s['b%d' % (i + 1)] = (chans[i + 1],)
    s.update({'W7': (64 * 4 * 4, 50), 'b7': (50,), 'W8': (50, 10), 'b8': (10,)})
    return s


def conv(n, size, pad, stride):
    return {'filter_num': n, 'filter_size': size, 'pad': pad, 'stride': stride}


# The architecture JSON of each net exactly as dlfs's config() writes it (src/nets/*.cpp).
NETS = {
    'ch03': {
        'shapes': {'W1': (784, 50), 'b1': (50,), 'W2': (50, 100), 'b2': (100,), 'W3': (100, 10), 'b3': (10,)},
        'architecture': {'net': 'multi-layer', 'input_size': 784, 'hidden_size_list': [50, 100],
                         'output_size': 10, 'activation': 'sigmoid', 'weight_decay_lambda': 0.0,
                         'use_batchnorm': False, 'use_dropout': False, 'dropout_ration': 0.5,
                         'weight_init_std': 'sigmoid'},
    },
    'simple-conv': {
        'shapes': {'W1': (30, 1, 5, 5), 'b1': (30,), 'W2': (4320, 100), 'b2': (100,), 'W3': (100, 10),
                   'b3': (10,)},
        'architecture': {'net': 'simple-conv', 'input_dim': [1, 28, 28], 'conv_param': conv(30, 5, 0, 1),
                         'hidden_size': 100, 'output_size': 10, 'weight_init_std': 0.01},
    },
    'deep-conv': {
        'shapes': deep_conv_shapes(),
        'architecture': {'net': 'deep-conv', 'input_dim': [1, 28, 28],
                         'conv_param_1': conv(16, 3, 1, 1), 'conv_param_2': conv(16, 3, 1, 1),
                         'conv_param_3': conv(32, 3, 1, 1), 'conv_param_4': conv(32, 3, 2, 1),
                         'conv_param_5': conv(64, 3, 1, 1), 'conv_param_6': conv(64, 3, 1, 1),
                         'hidden_size': 50, 'output_size': 10, 'dropout_ration': 0.5},
    },
}


class ConversionError(Exception):
    pass


class ArraysOnly(pickle.Unpickler):
    """Unpickles NumPy arrays in dicts and nothing else."""
    ALLOWED = {
        ('numpy.core.multiarray', '_reconstruct'), ('numpy._core.multiarray', '_reconstruct'),
        ('numpy', 'ndarray'), ('numpy', 'dtype'), ('numpy.core.multiarray', 'scalar'),
        ('numpy._core.multiarray', 'scalar'), ('collections', 'OrderedDict'), ('builtins', 'dict'),
        ('__builtin__', 'dict'),
        ('_codecs', 'encode'),  # how protocol 2 (Python 2's) stores an array's bytes
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise ConversionError('refusing to unpickle %s.%s: expected only NumPy arrays in a dict' % (module, name))
        return super().find_class(module, name)


def load_pickle(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise ConversionError('cannot read %s: %s' % (path, e.strerror))
    try:
        obj = ArraysOnly(io.BytesIO(data), encoding='latin1').load()
    except ConversionError:
        raise
    except Exception as e:  # truncated or not a pickle at all
        raise ConversionError('%s is not a readable pickle (%s: %s)' % (path, type(e).__name__, e))
    if not isinstance(obj, dict):
        raise ConversionError('%s: expected a dict of arrays (W1, b1, ...), found %s' % (path, type(obj).__name__))
    return obj


def guess_net(params):
    keys = set(params)
    for name, net in NETS.items():
        if keys == set(net['shapes']) and all(np.shape(params[k]) == s for k, s in net['shapes'].items()):
            return name
    if {'W8', 'b8'} <= keys:
        return 'deep-conv'
    w1 = params.get('W1')
    return 'simple-conv' if w1 is not None and np.ndim(w1) == 4 else 'ch03'


def convert(params, net, path):
    want = NETS[net]['shapes']
    keys = set(params)
    if keys != set(want):
        missing, extra = sorted(set(want) - keys), sorted(keys - set(want))
        raise ConversionError('%s: not the %s weights: expected keys %s%s%s' % (
            path, net, ', '.join(sorted(want, key=lambda k: (k[1:], k))),
            '; missing ' + ', '.join(missing) if missing else '',
            '; unexpected ' + ', '.join(map(str, extra)) if extra else ''))
    arrays = {}
    for k in sorted(want):
        a = params[k]
        if not isinstance(a, np.ndarray):
            raise ConversionError('%s: %s: expected a NumPy array, found %s' % (path, k, type(a).__name__))
        if a.shape != want[k]:
            raise ConversionError('%s: %s: expected shape %s for %s, found %s' % (path, k, want[k], net, a.shape))
        if a.dtype.kind != 'f' or a.dtype.itemsize not in (4, 8):
            raise ConversionError('%s: %s: expected float32 or float64, found %s' % (path, k, a.dtype))
        if not np.all(np.isfinite(a)):
            bad = int(np.flatnonzero(~np.isfinite(a.ravel(order='C')))[0])
            raise ConversionError('%s: %s: not finite at flat index %d (%r)' % (path, k, bad, a.ravel(order='C')[bad]))
        arrays[k] = a
    # One dtype for the file, as dlfs writes its own: float64 if any array is.
    dtype = np.float64 if any(a.dtype.itemsize == 8 for a in arrays.values()) else np.float32
    arrays = {k: np.ascontiguousarray(a, dtype=np.dtype(dtype).newbyteorder('<')) for k, a in arrays.items()}
    meta = {'format': 'dlfs-model', 'version': 1, 'dtype': '<f8' if dtype == np.float64 else '<f4',
            'architecture': NETS[net]['architecture']}
    arrays['__config__'] = np.frombuffer(json.dumps(meta, separators=(',', ':')).encode(), dtype=np.uint8)
    return arrays


def write_atomic(path, arrays):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            np.savez_compressed(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is not what a plain file gets
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('input', help='the book\'s sample_weight.pkl, params.pkl or deep_convnet_params.pkl')
    ap.add_argument('output', help='the dlfs model file to write (.npz)')
    ap.add_argument('--net', choices=['auto'] + sorted(NETS), default='auto',
                    help='which net the pickle holds (default: recognised from its keys)')
    args = ap.parse_args(argv)
    try:
        if not args.output.endswith('.npz'):
            raise ConversionError('output %s: expected a file name ending in .npz' % args.output)
        params = load_pickle(args.input)
        net = guess_net(params) if args.net == 'auto' else args.net
        arrays = convert(params, net, args.input)
        try:
            write_atomic(args.output, arrays)
        except OSError as e:
            raise ConversionError('cannot write %s: %s' % (args.output, e.strerror or e))
    except ConversionError as e:
        print('book_weights_to_npz: error: %s' % e, file=sys.stderr)
        return 1
    arch = NETS[net]['architecture']
    print('wrote %s: %s (%s) from %s' % (args.output, arch['net'], arrays['W1'].dtype, args.input))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
