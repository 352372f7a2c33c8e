// The draw-a-digit page of dlfs serve. Plain HTML, CSS and JavaScript, no framework and nothing
// fetched from elsewhere: the page talks only to the server that sent it. The drawing is sent as
// a PNG, so the server prepares it with the same C++ function as `dlfs predict --image`, and the
// page shows the 28x28 image the net saw (?preprocessed=1) rather than guessing it in script.
#include "serve_page.hpp"

namespace dlfs::cli {

const char* const kServePage = R"PAGE(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dlfs serve</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5em; background: #f4f4f4; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 .3em; }
  #model { color: #555; margin-bottom: 1em; }
  .row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
  .panel { background: #fff; padding: 1em; border-radius: 6px; box-shadow: 0 1px 3px #0002; }
  #pad { background: #000; touch-action: none; cursor: crosshair; border-radius: 4px; display: block; }
  #seen { width: 140px; height: 140px; image-rendering: pixelated; background: #000; display: block; }
  button, label.button { margin-top: .6em; padding: .4em 1em; font-size: 1em; cursor: pointer;
    border: 1px solid #888; border-radius: 4px; background: #eee; display: inline-block; }
  #upload { display: none; }
  #predicted { font-size: 3em; font-weight: bold; text-align: center; min-height: 1.2em; }
  .bar { display: flex; align-items: center; gap: .5em; margin: 2px 0; font-variant-numeric: tabular-nums; }
  .bar .fill { height: 14px; background: #4a7bd0; width: 0; transition: width .15s; }
  .bar.top .fill { background: #d0574a; }
  .bar .track { width: 200px; background: #eee; }
  .bar .p { width: 4em; text-align: right; color: #555; }
  #acts canvas { image-rendering: pixelated; margin: 1px; background: #000; }
  #status { color: #b00; min-height: 1.2em; margin-top: .5em; }
</style>
</head>
<body>
<h1>dlfs serve: draw a digit</h1>
<div id="model">loading the model...</div>
<div class="row">
  <div class="panel">
    <canvas id="pad" width="280" height="280"></canvas>
    <button id="clear">Clear</button>
    <label class="button" for="upload">Upload a PNG/JPEG</label>
    <input id="upload" type="file" accept="image/png,image/jpeg">
    <div id="status"></div>
  </div>
  <div class="panel">
    <div>as the net sees it (28x28)</div>
    <canvas id="seen" width="28" height="28"></canvas>
    <div>prediction</div>
    <div id="predicted"></div>
  </div>
  <div class="panel">
    <div>probabilities</div>
    <div id="bars"></div>
  </div>
</div>
<div class="panel" style="margin-top:1.5em">
  <div id="acts-title">first hidden layer</div>
  <div id="acts"></div>
</div>
<script>
"use strict";
const pad = document.getElementById("pad"), ctx = pad.getContext("2d");
const statusEl = document.getElementById("status");
function clearPad() {
  ctx.fillStyle = "#000"; ctx.fillRect(0, 0, pad.width, pad.height);
}
clearPad();

const bars = document.getElementById("bars");
for (let k = 0; k < 10; k++) {
  bars.insertAdjacentHTML("beforeend",
    `<div class="bar" data-digit="${k}"><span>${k}</span><div class="track"><div class="fill"></div></div><span class="p"></span></div>`);
}

fetch("/api/model").then(r => r.json()).then(m => {
  let s = `${m.name}, ${m.parameters.toLocaleString("en")} parameters`;
  if (m.accuracy !== null && m.accuracy !== undefined) s += `, test accuracy ${(100 * m.accuracy).toFixed(2)}%`;
  document.getElementById("model").textContent = `${m.file}: ${s}`;
}).catch(e => { document.getElementById("model").textContent = "cannot read /api/model: " + e; });

function grey(canvas, values, w, h, lo, hi) {
  canvas.width = w; canvas.height = h;
  const c = canvas.getContext("2d"), img = c.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = hi > lo ? Math.round(255 * (values[i] - lo) / (hi - lo)) : 0;
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
  }
  c.putImageData(img, 0, 0);
}

function showActivations(a) {
  const box = document.getElementById("acts");
  box.innerHTML = "";
  if (!a) return;
  document.getElementById("acts-title").textContent = `first hidden layer (${a.layer}, ${a.shape.join("x")})`;
  const v = a.values, hi = Math.max(...v), lo = Math.min(0, ...v);
  if (a.shape.length === 3) {  // conv: one small image per feature map
    const [c, h, w] = a.shape;
    for (let k = 0; k < c; k++) {
      const cv = document.createElement("canvas");
      grey(cv, v.slice(k * h * w, (k + 1) * h * w), w, h, lo, hi);
      cv.style.width = (2 * w) + "px"; cv.style.height = (2 * h) + "px";
      box.appendChild(cv);
    }
  } else {  // MLP: the hidden units as a strip
    const cv = document.createElement("canvas");
    grey(cv, v, v.length, 1, lo, hi);
    cv.style.width = Math.min(800, 8 * v.length) + "px"; cv.style.height = "24px";
    box.appendChild(cv);
  }
}

function show(r) {
  statusEl.textContent = "";
  grey(document.getElementById("seen"), r.preprocessed, 28, 28, 0, 1);
  document.getElementById("predicted").textContent = r.predicted;
  bars.querySelectorAll(".bar").forEach((b, k) => {
    const p = r.probabilities[k];
    b.querySelector(".fill").style.width = (100 * p).toFixed(1) + "%";
    b.querySelector(".p").textContent = (100 * p).toFixed(1) + "%";
    b.classList.toggle("top", k === r.predicted);
  });
  showActivations(r.activations);
}

async function send(blob, type) {
  const res = await fetch("/api/predict?preprocessed=1&activations=1",
                          { method: "POST", headers: { "Content-Type": type }, body: blob });
  const j = await res.json();
  if (!res.ok) { statusEl.textContent = j.error; return; }
  show(j);
}

let drawing = false, last = null, inked = false;
function at(e) {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
}
pad.addEventListener("pointerdown", e => { drawing = true; last = at(e); pad.setPointerCapture(e.pointerId); stroke(e); });
pad.addEventListener("pointermove", e => { if (drawing) stroke(e); });
function stroke(e) {
  const p = at(e);
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 20; ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
  last = p; inked = true;
}
function endStroke() {
  if (!drawing) return;
  drawing = false;
  if (inked) pad.toBlob(b => send(b, "image/png").catch(e => { statusEl.textContent = String(e); }), "image/png");
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

document.getElementById("clear").addEventListener("click", () => {
  clearPad(); inked = false;
  document.getElementById("predicted").textContent = "";
  bars.querySelectorAll(".fill").forEach(f => { f.style.width = 0; });
  bars.querySelectorAll(".p").forEach(p => { p.textContent = ""; });
  bars.querySelectorAll(".bar").forEach(b => b.classList.remove("top"));
  grey(document.getElementById("seen"), new Array(784).fill(0), 28, 28, 0, 1);
  document.getElementById("acts").innerHTML = "";
});

document.getElementById("upload").addEventListener("change", e => {
  const f = e.target.files[0];
  if (!f) return;
  send(f, f.type || "application/octet-stream").catch(err => { statusEl.textContent = String(err); });
  e.target.value = "";
});
</script>
</body>
</html>
)PAGE";

}  // namespace dlfs::cli
