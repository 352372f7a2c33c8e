#!/usr/bin/python3
"""Writes the small valid seed files of fuzz/corpus/<target>/ (run from anywhere; needs numpy and
PIL). The seeds are committed; rerun only to change them."""
import gzip, io, json, os, struct, zlib
import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
def out(target, name, data):
    d = os.path.join(here, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

# IDX: 3 images of 5x4 and 3 labels, raw and gzip.
imgs = struct.pack('>IIII', 0x803, 3, 5, 4) + bytes(range(60))
labs = struct.pack('>II', 0x801, 3) + bytes([7, 2, 1])
out('idx', 'images.idx', imgs)
out('idx', 'labels.idx', labs)
out('idx', 'images.idx.gz', gzip.compress(imgs, mtime=0))
out('idx', 'labels.idx.gz', gzip.compress(labs, mtime=0))

# .npz: a two-layer (4, 3, 2) model as dlfs writes it (float32 + __config__), the same without
# __config__ from np.savez_compressed in float64, and one with an int32 array.
rng = np.random.default_rng(0)
p = dict(W1=rng.normal(size=(4, 3)), b1=np.zeros(3), W2=rng.normal(size=(3, 2)), b2=np.zeros(2))
cfg = {'format': 'dlfs-model', 'version': 1, 'dtype': '<f4',
       'architecture': {'net': 'two-layer', 'input_size': 4, 'hidden_size': 3, 'output_size': 2,
                        'weight_init_std': 0.01}}
def npz(fn, **arrays):
    b = io.BytesIO()
    fn(b, **arrays)
    return b.getvalue()
f32 = {k: v.astype(np.float32) for k, v in p.items()}
out('npz', 'model_f4.npz', npz(np.savez, __config__=np.frombuffer(json.dumps(cfg).encode(), np.uint8), **f32))
out('npz', 'numpy_f8_compressed.npz', npz(np.savez_compressed, **p))
# A checkpoint-shaped file: the model plus the __checkpoint__ entry read_checkpoint_info reads.
ck = {'format': 'dlfs-checkpoint', 'version': 1, 'dtype': '<f4', 'iteration': 2, 'train_size': 20,
      'optimizer_iterations': 2, 'optimizer_lr': 0.1, 'optimizer_state': False, 'perm_pos': 0,
      'history_seconds': 0.0, 'run_config': {},
      'train_config': {'iters': 4, 'epochs': 0, 'mini_batch_size': 10, 'evaluate_sample_num_per_epoch': 0,
                       'with_replacement': True, 'gradient': 'backprop', 'verbose': False,
                       'check_numerics': False, 'seed': 0,
                       'optimizer': {'name': 'sgd', 'lr': 0.1, 'momentum': 0.9, 'decay_rate': 0.99,
                                     'beta1': 0.9, 'beta2': 0.999}}}
out('npz', 'checkpoint.npz', npz(np.savez, __config__=np.frombuffer(json.dumps(cfg).encode(), np.uint8),
                                 __checkpoint__=np.frombuffer(json.dumps(ck).encode(), np.uint8),
                                 **{'ckpt.rng.trainer': np.arange(1, 7, dtype=np.uint64)}, **f32))
out('npz', 'int32.npz', npz(np.savez, W1=np.zeros((4, 3), np.int32), b1=f32['b1'], W2=f32['W2'], b2=f32['b2']))

# Images: a 28x28 grey digit-like stroke as PNG, JPEG, BMP, and a small RGBA PNG.
a = np.zeros((28, 28), np.uint8)
a[6:22, 12:16] = 255
for fmt, name in (('PNG', 'digit.png'), ('JPEG', 'digit.jpg'), ('BMP', 'digit.bmp')):
    b = io.BytesIO()
    Image.fromarray(a).save(b, fmt)
    out('image', name, b.getvalue())
rgba = np.zeros((9, 7, 4), np.uint8)
rgba[..., 3] = 255
rgba[2:7, 3, :3] = 255
b = io.BytesIO()
Image.fromarray(rgba, 'RGBA').save(b, 'PNG')
out('image', 'rgba.png', b.getvalue())
