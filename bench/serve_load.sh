#!/usr/bin/env bash
# dlfs serve under load on loopback: TwoLayerNet and DeepConvNet, batch 1 and batch 100, each from
# 8 concurrent keep-alive connections (bench/serve_load.cpp, which also checks that every answer
# equals the one a sequential pass got for the same body). The models are trained here briefly
# (their accuracy does not change the cost of a prediction).
#   bench/serve_load.sh [REQUESTS=20000] [REQUESTS_FOR_DEEP_CONV_BATCH_100=200]
# Needs build/dlfs (with serve), data/mnist, g++, pkg-config and libcpp-httplib-dev.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${DLFS_BENCH_BUILD:-$root/build}
data=${DLFS_DATA_ROOT:-$root/data}
n=${1:-20000}
n_deep100=${2:-200}
work="$build/bench-serve"
mkdir -p "$work"
g++ -std=c++20 -O2 "$root/bench/serve_load.cpp" $(pkg-config --cflags --libs cpp-httplib) -pthread -o "$work/serve_load"
# 10 bodies per batch size, from the first test digits, pixels / 255.
python3 - "$data/mnist/t10k-images-idx3-ubyte" "$work" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()[16:]
img = lambda i: [b / 255 for b in raw[i * 784:(i + 1) * 784]]
for batch in (1, 100):
    for k in range(10):
        body = img(k) if batch == 1 else [img(k * 100 + j) for j in range(100)]
        json.dump(body, open(f"{sys.argv[2]}/b{batch}_{k}.json", "w"))
PY
[[ -f "$work/two-layer.npz" ]] || "$build/dlfs" train --iters 2000 --save "$work/two-layer.npz" --data-root "$data" --out "$work/out-two" >/dev/null
[[ -f "$work/deep-conv.npz" ]] || "$build/dlfs" train --net deep-conv --iters 30 --save "$work/deep-conv.npz" --data-root "$data" --out "$work/out-deep" >/dev/null
echo "| net | batch | requests | req/s | images/s | p50 ms | p99 ms | failed | wrong |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for net in two-layer deep-conv; do
  "$build/dlfs" serve --model "$work/$net.npz" --port 0 --threads 8 >"$work/serve.out" 2>"$work/serve.err" &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$work/serve.out" && break; sleep 0.1; done
  port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve.out")
  for batch in 1 100; do
    count=$n
    [[ $net == deep-conv && $batch == 100 ]] && count=$n_deep100
    r=$("$work/serve_load" "$port" "$count" 8 "$work"/b${batch}_*.json)
    python3 -c "import json,sys; r=json.loads(sys.argv[1]); print(f\"| $net | $batch | {r['requests']} | {r['rps']:.0f} | {r['rps']*$batch:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['failed']} | {r['wrong']} |\")" "$r"
  done
  kill -TERM $pid
  wait $pid
done
