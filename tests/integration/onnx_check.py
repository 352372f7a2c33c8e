#!/usr/bin/env python3
"""Checks an ONNX file written by `dlfs export` with real tools, for tests/integration/test_onnx.cpp.
Prints one JSON line; the C++ test asserts on it.

  onnx_check.py checker MODEL.onnx MODEL.npz
      onnx.checker.check_model(full_check=True) (raises on failure), then the file as ONNX parsed
      it: IR and opset versions, node op types, and every array of the model file compared with
      the initializer of the same name (Gemm's B transposed back to the book's (D, M) W).
  onnx_check.py opencv MODEL.onnx X.f32 REF.f32
      cv2.dnn.readNetFromONNX, one forward of all N rows of X (raw float32, N x the model's input
      shape), compared with REF (raw float32 (N, classes): dlfs's probabilities for the same X).
"""
import json
import sys

import numpy as np


def checker(onnx_path, npz_path):
    import onnx
    from onnx import numpy_helper

    model = onnx.load(onnx_path)
    onnx.checker.check_model(model, full_check=True)
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    gemm_b = {n.input[1] for n in g.node if n.op_type == "Gemm"}
    arrays = np.load(npz_path)
    compared, missing, max_diff = 0, [], 0.0
    for name in arrays.files:
        if name.startswith("__"):
            continue
        if name not in inits:
            missing.append(name)
            continue
        got = inits[name].T if name in gemm_b else inits[name]
        want = arrays[name].astype(np.float32)
        if got.shape != want.shape:
            missing.append(f"{name} {got.shape} != {want.shape}")
            continue
        max_diff = max(max_diff, float(np.abs(got - want).max()))
        compared += 1
    print(json.dumps({
        "checker": "ok",
        "onnx_version": onnx.__version__,
        "ir_version": model.ir_version,
        "opsets": [[o.domain, o.version] for o in model.opset_import],
        "ops": [n.op_type for n in g.node],
        "inputs": [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in g.input],
        "outputs": [o.name for o in g.output],
        "compared": compared,
        "missing": missing,
        "max_weight_diff": max_diff,
    }))


def opencv(onnx_path, x_path, ref_path):
    import cv2
    import onnx

    dims = [d.dim_value for d in onnx.load(onnx_path).graph.input[0].type.tensor_type.shape.dim[1:]]
    x = np.fromfile(x_path, dtype=np.float32).reshape(-1, *dims)
    ref = np.fromfile(ref_path, dtype=np.float32).reshape(x.shape[0], -1)
    net = cv2.dnn.readNetFromONNX(onnx_path)
    net.setInput(x)
    y = net.forward()
    print(json.dumps({
        "runtime": "OpenCV " + cv2.__version__,
        "shape": list(y.shape),
        "max_abs_diff": float(np.abs(y - ref).max()) if y.shape == ref.shape else None,
        "argmax_mismatches": int((y.argmax(1) != ref.argmax(1)).sum()) if y.shape == ref.shape else None,
    }))


if __name__ == "__main__":
    {"checker": checker, "opencv": opencv}[sys.argv[1]](*sys.argv[2:])
