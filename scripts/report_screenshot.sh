#!/usr/bin/env bash
# The screenshot of the backtest report in docs/img/report.png: a report of the bundled
# BTCUSDT 1h sample, drawn by headless Chromium (apt-get install chromium) with no network.
#
#   scripts/report_screenshot.sh [OUT.png] [WIDTHxHEIGHT]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/img/report.png}"
size="${2:-1400,2000}"
chromium="${PLOUTOS_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$chromium" ]; then
  echo "no chromium found (apt-get install chromium, or set PLOUTOS_CHROMIUM)" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo run --release --quiet -p ploutos -- backtest \
  --data data/samples/btcusdt_binance_1h.csv --strategy ema-cross --report "$tmp/report.html" >/dev/null
mkdir -p "$(dirname "$out")"
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
  --virtual-time-budget=5000 --user-data-dir="$tmp/profile" \
  --screenshot="$(realpath -m "$out")" --window-size="${size/x/,}" "file://$tmp/report.html" 2>/dev/null
echo "wrote $out ($(du -h "$out" | cut -f1); report $(du -h "$tmp/report.html" | cut -f1))"
