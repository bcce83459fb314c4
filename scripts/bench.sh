#!/usr/bin/env bash
# Reproduces every figure in BENCHMARKS.md (takes a few minutes on 2 cores).
# Usage: scripts/bench.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
synth=${SYNTH:-/tmp/ploutos_synth_5m.csv}

echo "== build"
cargo build --release -q -p ploutos
bin=target/release/ploutos

echo "== synthetic data: 5,000,000 1m bars, seed 42 -> $synth"
[ -f "$synth" ] || $bin data synth --bars 5000000 --seed 42 --out "$synth"

echo "== ploutos-ta: streaming ns/update and batch over 5M bars (divan)"
cargo bench -q -p ploutos-ta --bench indicators

echo "== TA-Lib 0.8.1 (PyPI wheel) on the same 5M bars"
python3 scripts/bench_talib.py "$synth" --repeat 10

echo "== consensus detector per bar, 1m->5m aggregation (divan)"
cargo bench -q -p ploutos-engine --bench detector

echo "== ploutos analyze --replay on 45,031 real bars (btcperp_ftx_1m.csv)"
for fmt in text jsonl; do
  extra=""; [ $fmt = jsonl ] && extra="--all"
  /usr/bin/time -f "analyze --format $fmt $extra: %e s wall, %U s user, %S s sys, %M KB peak" \
    $bin analyze --replay data/samples/btcperp_ftx_1m.csv --format $fmt $extra > /tmp/ploutos_analyze.out 2>/tmp/ploutos_analyze.err || true
  tail -n 1 /tmp/ploutos_analyze.err
  grep -h "latency" /tmp/ploutos_analyze.out /tmp/ploutos_analyze.err | head -n 1
done
/usr/bin/time -f "cat of the same file: %e s" cat data/samples/btcperp_ftx_1m.csv > /dev/null

echo "== the trading engine (bar -> ... -> portfolio), with and without the journal"
for kind in consensus "" ema-cross; do
  k=""; [ -n "$kind" ] && k="--kind $kind"
  for shape in "--strategies 1 --symbols 1 --bars 200000" "--strategies 10 --symbols 100 --bars 2000"; do
    $bin bench-engine $shape $k
    $bin bench-engine $shape $k --journal /tmp/ploutos-bench-journal
  done
done
