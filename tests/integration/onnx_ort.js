// Runs an ONNX file written by `dlfs export` in ONNX Runtime (the onnxruntime-node package), for
// tests/integration/test_onnx.cpp, and prints one JSON line comparing it with dlfs's output.
//   node onnx_ort.js MODULES_DIR MODEL.onnx X.f32 REF.f32 D1[,D2,...]
// MODULES_DIR: the folder whose node_modules holds onnxruntime-node; X.f32: raw float32 (N, D1, ...),
// the batch dlfs scored; REF.f32: raw float32 (N, classes), dlfs's probabilities for it.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [modulesDir, model, xPath, refPath, dimsArg] = process.argv.slice(2);
  const ortDir = path.join(modulesDir, 'node_modules', 'onnxruntime-node');
  const ort = require(ortDir);
  const version = JSON.parse(fs.readFileSync(path.join(ortDir, 'package.json'))).version;
  const floats = (p) => {
    const b = fs.readFileSync(p);
    return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  };
  const x = floats(xPath), ref = floats(refPath);
  const dims = dimsArg.split(',').map(Number);
  const per = dims.reduce((a, b) => a * b, 1);
  const n = x.length / per;
  const session = await ort.InferenceSession.create(model);
  const out = await session.run({x: new ort.Tensor('float32', x, [n, ...dims])});
  const y = out.probabilities;
  const k = y.dims[1];
  let maxDiff = 0, mismatches = 0;
  const argmax = (a, r) => {
    let best = 0;
    for (let c = 1; c < k; ++c) if (a[r * k + c] > a[r * k + best]) best = c;
    return best;
  };
  const same = y.data.length === ref.length;
  if (same) {
    for (let i = 0; i < ref.length; ++i) maxDiff = Math.max(maxDiff, Math.abs(y.data[i] - ref[i]));
    for (let r = 0; r < n; ++r) mismatches += argmax(y.data, r) !== argmax(ref, r);
  }
  console.log(JSON.stringify({
    runtime: 'onnxruntime-node ' + version,
    shape: y.dims,
    max_abs_diff: same ? maxDiff : null,
    argmax_mismatches: same ? mismatches : null,
  }));
}

main().catch((e) => {
  console.error(String(e && e.message ? e.message : e).split('\n')[0]);
  process.exit(1);
});
