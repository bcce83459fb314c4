#!/usr/bin/env python3
"""Independent reference for the consensus detector (strategy kind `consensus`).

Usage:  python3 scripts/consensus_reference.py        (from the repository root)

Creates (or reuses) a throwaway virtualenv at $PLOUTOS_TALIB_VENV (default
/tmp/ploutos-talib-venv) with the PyPI `ta-lib` wheel and numpy, then, for every bar file
in data/samples (trade files excepted), computes the indicators with TA-Lib itself and applies
the five rules, the decision and the confidence formula of docs/consensus.md in plain Python,
writing crates/ploutos-engine/tests/fixtures/consensus/<stem>.csv with one row per bar:
timestamp,signal,buy_votes,sell_votes,confidence,votes  (votes: one letter per rule in the
order RSI, EMA, MACD, Bollinger, volume: B = buy, S = sell, - = none).

Nothing here shares code with the Rust implementation; the Rust test
(crates/ploutos-engine/tests/consensus_reference.rs) compares every bar.
"""
import math
import os
import sys

import talib_venv  # noqa: E402  (scripts/talib_venv.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "data", "samples")
OUT = os.path.join(ROOT, "crates", "ploutos-engine", "tests", "fixtures", "consensus")

# The defaults of ConsensusConfig / ploutos.example.toml.
RSI_P, OVERSOLD, OVERBOUGHT = 14, 30.0, 70.0
EMA_F, EMA_S = 9, 21
MACD_F, MACD_S, MACD_SIG = 12, 26, 9
BB_P, BB_K = 20, 2.0
VOL_P, VOL_K = 20, 1.5
ATR_P = 14
MIN_VOTES = 3
WEIGHT = 20.0
FLOOR = 0.6


def wilder_flat(close):
    """TA-Lib 0.8's RSI is 0 when avg gain + avg loss is not > 0 (a window with no movement);
    the rule abstains there rather than calling it oversold. Recompute Wilder's averages
    (TA-Lib 0.8's operation order: sums times 1/n, then avg*(n-1) + x, times 1/n)."""
    n = len(close)
    flat = [False] * n
    if n <= RSI_P:
        return flat
    inv = 1.0 / RSI_P
    gain = loss = 0.0
    for i in range(1, RSI_P + 1):
        d = close[i] - close[i - 1]
        g = d if d > 0 else 0.0
        gain += g
        loss += g - d
    loss *= inv
    gain *= inv
    flat[RSI_P] = not (gain + loss > 0)
    for i in range(RSI_P + 1, n):
        d = close[i] - close[i - 1]
        g = d if d > 0 else 0.0
        loss *= RSI_P - 1
        gain *= RSI_P - 1
        gain += g
        loss += g - d
        loss *= inv
        gain *= inv
        flat[i] = not (gain + loss > 0)
    return flat


def clamp01(x):
    if math.isnan(x):
        return 0.0
    return min(1.0, max(0.0, x))


def points(s):
    return WEIGHT * (FLOOR + (1.0 - FLOOR) * clamp01(s))


def main():
    import csv

    import numpy as np
    import talib

    os.makedirs(OUT, exist_ok=True)
    for name in sorted(os.listdir(SAMPLES)):
        if not name.endswith(".csv") or name.endswith("_trades.csv"):
            continue
        ts, o, h, l, c, v = [], [], [], [], [], []
        with open(os.path.join(SAMPLES, name), newline="") as f:
            for row in csv.DictReader(f):
                ts.append(row["timestamp"])
                o.append(float(row["open"]))
                h.append(float(row["high"]))
                l.append(float(row["low"]))
                c.append(float(row["close"]))
                v.append(float(row["volume"]))
        C, H, L, V = (np.array(x, dtype=float) for x in (c, h, l, v))
        rsi = talib.RSI(C, RSI_P)
        ef = talib.EMA(C, EMA_F)
        es = talib.EMA(C, EMA_S)
        macd, sig, hist = talib.MACD(C, MACD_F, MACD_S, MACD_SIG)
        up, mid, lo = talib.BBANDS(C, BB_P, BB_K, BB_K, 0)
        vavg = talib.SMA(V, VOL_P)
        atr = talib.ATR(H, L, C, ATR_P)
        flat = wilder_flat(c)
        rows = []
        prev_eg = prev_mg = float("nan")
        for i in range(len(c)):
            eg = ef[i] - es[i]
            mg = macd[i] - sig[i]
            peg, pmg = prev_eg, prev_mg
            prev_eg, prev_mg = eg, mg
            vals = (rsi[i], ef[i], es[i], macd[i], up[i], vavg[i], atr[i])
            if any(math.isnan(x) for x in vals):
                rows.append((ts[i], "HOLD", 0, 0, 0, "-----"))
                continue
            votes = []  # (side, points)
            # 1 RSI
            if rsi[i] < OVERSOLD and not flat[i]:
                votes.append(("B", points((OVERSOLD - rsi[i]) / OVERSOLD)))
            elif rsi[i] > OVERBOUGHT:
                votes.append(("S", points((rsi[i] - OVERBOUGHT) / (100.0 - OVERBOUGHT))))
            else:
                votes.append(None)
            # 2 EMA
            if eg != 0.0 and not math.isnan(eg):
                crossed = (not math.isnan(peg)) and (peg == 0.0 or (peg > 0) != (eg > 0))
                s = 1.0 if crossed else abs(eg) / atr[i]
                votes.append(("B" if eg > 0 else "S", points(s)))
            else:
                votes.append(None)
            # 3 MACD
            if mg != 0.0 and not math.isnan(mg):
                crossed = (not math.isnan(pmg)) and (pmg == 0.0 or (pmg > 0) != (mg > 0))
                s = 1.0 if crossed else abs(hist[i]) / (0.25 * atr[i])
                votes.append(("B" if mg > 0 else "S", points(s)))
            else:
                votes.append(None)
            # 4 Bollinger
            sigma = (up[i] - mid[i]) / BB_K
            if sigma > 0 and c[i] < lo[i]:
                votes.append(("B", points((lo[i] - c[i]) / sigma)))
            elif sigma > 0 and c[i] > up[i]:
                votes.append(("S", points((c[i] - up[i]) / sigma)))
            else:
                votes.append(None)
            # 5 volume
            ratio = v[i] / vavg[i] if vavg[i] > 0 else 0.0
            if ratio > VOL_K and c[i] != o[i]:
                votes.append(("B" if c[i] > o[i] else "S", points((ratio - VOL_K) / VOL_K)))
            else:
                votes.append(None)
            b = sum(1 for x in votes if x and x[0] == "B")
            s = sum(1 for x in votes if x and x[0] == "S")
            bp = sp = 0.0
            for x in votes:
                if x and x[0] == "B":
                    bp += x[1]
                elif x:
                    sp += x[1]
            if b >= MIN_VOTES and b > s:
                kind, score = "BUY", bp
            elif s >= MIN_VOTES and s > b:
                kind, score = "SELL", sp
            else:
                kind, score = "HOLD", 100.0 - max(bp, sp)
            conf = int(min(100.0, max(0.0, math.floor(score + 0.5))))
            letters = "".join(x[0] if x else "-" for x in votes)
            rows.append((ts[i], kind, b, s, conf, letters))
        out = os.path.join(OUT, name)
        with open(out, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["timestamp", "signal", "buy_votes", "sell_votes", "confidence", "votes"])
            w.writerows(rows)
        counts = {k: sum(1 for r in rows if r[1] == k) for k in ("BUY", "SELL", "HOLD")}
        alerts = sum(1 for r in rows if r[1] != "HOLD" and r[4] >= 60)
        print(f"{name}: {len(rows)} bars, {counts}, alerts>=60: {alerts}")


if __name__ == "__main__":
    talib_venv.ensure(__file__)
    main()
