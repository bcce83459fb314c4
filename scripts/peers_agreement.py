#!/usr/bin/env python3
"""Run one EMA 9/21 long-only strategy in backtesting.py and vectorbt and write reference outputs.

Usage:  python3 scripts/peers_agreement.py            (from anywhere; paths are repo-relative)

Creates (or reuses) a throwaway virtualenv at $PLOUTOS_PEERS_VENV (default
/tmp/ploutos-peers-venv), pip-installs the pinned packages below into it, re-executes
itself inside it, and then:

* writes data/peers/synth_20000.csv (a seeded geometric random walk, stdlib `random` only,
  so it does not depend on numpy's generator) unless it already exists with the same bytes;
* for every bar file data/samples/*.csv (except *_trades.csv) and the synthetic file, runs
  the strategy of docs/peer-agreement.md in backtesting.py and in vectorbt (and in a plain
  Python loop that is the spec written out), checks that the two frameworks agree (same
  entry/exit bars, final equity within 1e-6 relative), and writes data/peers/<stem>.json;
* rewrites the summary table between the markers in docs/peer-agreement.md.

Exits non-zero when the frameworks disagree on any file. Floats in the JSON are written with
repr() (json's default), so they round-trip exactly.
"""
import json
import math
import os
import random
import subprocess
import sys
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "data", "samples")
OUT = os.path.join(ROOT, "data", "peers")
DOC = os.path.join(ROOT, "docs", "peer-agreement.md")

VENV = os.environ.get("PLOUTOS_PEERS_VENV", "/tmp/ploutos-peers-venv")
# Pinned: the committed outputs were generated with exactly these.
PACKAGES = [
    "backtesting==0.6.6",
    "vectorbt==1.2.0",
    "ta-lib==0.8.2",
    "numpy==2.4.6",
    "pandas==3.1.1",
    "numba==0.68.1",
    "llvmlite==0.50.0",
    "bokeh==3.9.2",
]
VERSIONED = ["backtesting", "vectorbt", "ta-lib", "numpy", "pandas", "numba", "llvmlite"]

FAST, SLOW = 9, 21
FEE = 0.001
CASH = 10_000.0
TOL = 1e-6
SYNTH_BARS = 20_000
SYNTH_SEED = 20_000
SCHEMA = 1

BT = "backtesting.py"
VBT = "vectorbt"


def ensure_venv():
    os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py's progress bar
    py = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    subprocess.check_call([py, "-m", "pip", "install", "-q", *PACKAGES])
    os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])


# ---------------------------------------------------------------------------------------------
# Data


def synth_csv_text():
    """20,000 one-minute bars: log-returns N(0, 0.002) by Box-Muller from random.Random(seed).

    close is rounded to 4 decimals, open = previous (rounded) close (the first open is 100),
    high/low widen max/min(open, close) by |N(0, 0.0005)|, volume uniform in [1, 1000]."""
    rng = random.Random(SYNTH_SEED)

    def normal():
        u1 = 1.0 - rng.random()  # (0, 1]
        u2 = rng.random()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    lines = ["timestamp,open,high,low,close,volume"]
    prev_close = 100.0
    t0 = 1_704_067_200  # 2024-01-01T00:00:00Z
    import datetime as dt

    for i in range(SYNTH_BARS):
        o = prev_close
        c = round(o * math.exp(0.002 * normal()), 4)
        h = round(max(o, c) * (1.0 + abs(0.0005 * normal())), 4)
        lo = round(min(o, c) * (1.0 - abs(0.0005 * normal())), 4)
        v = round(1.0 + 999.0 * rng.random(), 4)
        ts = dt.datetime.fromtimestamp(t0 + 60 * i, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"{ts},{o:.4f},{max(h, o, c):.4f},{min(lo, o, c):.4f},{c:.4f},{v:.4f}")
        prev_close = c
    return "\n".join(lines) + "\n"


def write_synth():
    path = os.path.join(OUT, f"synth_{SYNTH_BARS}.csv")
    text = synth_csv_text()
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return path
        print(f"note: {os.path.relpath(path, ROOT)} differed from the generator; rewritten")
    with open(path, "w") as f:
        f.write(text)
    return path


def read_bars(path):
    """Parses with Python's float() (correctly rounded, like Rust's str::parse::<f64>)."""
    import csv

    import numpy as np

    ts, cols = [], {c: [] for c in ("open", "high", "low", "close", "volume")}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            ts.append(row["timestamp"])
            for c in cols:
                cols[c].append(float(row[c]))
    return ts, {c: np.array(v, dtype=np.float64) for c, v in cols.items()}


# ---------------------------------------------------------------------------------------------
# Signal


def ema_talib(close, n):
    import talib

    return talib.EMA(close, timeperiod=n)


def ema_numpy(close, n):
    """The same seeding in plain Python/numpy, `prev + k*(x - prev)` with two roundings (no FMA)."""
    import numpy as np

    out = np.full(len(close), np.nan)
    if len(close) < n:
        return out
    s = 0.0
    for v in close[:n]:
        s += v
    prev = s / n
    out[n - 1] = prev
    k = 2.0 / (n + 1)
    for i in range(n, len(close)):
        prev = prev + k * (close[i] - prev)
        out[i] = prev
    return out


def regime(fast, slow):
    """+1 where fast > slow, -1 where fast < slow, 0 where equal or either is NaN."""
    import numpy as np

    with np.errstate(invalid="ignore"):
        return np.where(fast > slow, 1, np.where(fast < slow, -1, 0)).astype(np.int8)


# ---------------------------------------------------------------------------------------------
# The spec as a plain loop (a third opinion; not what the Rust tests assert against)


def run_spec(ts, bars, sig):
    o, c = bars["open"], bars["close"]
    cash, qty, trades, cur = CASH, 0.0, [], None
    for t in range(1, len(c)):
        s = sig[t - 1]  # decided on the previous bar's close, filled at this bar's open
        if s > 0 and qty == 0.0:
            qty = cash / (o[t] * (1.0 + FEE))
            fee = qty * o[t] * FEE
            cash -= qty * o[t] + fee
            cur = dict(entry_bar=t, entry_price=float(o[t]), quantity=qty, entry_fee=fee)
        elif s < 0 and qty > 0.0:
            fee = qty * o[t] * FEE
            cash += qty * o[t] - fee
            pnl = qty * (o[t] - cur["entry_price"]) - cur["entry_fee"] - fee
            trades.append(trade_dict(ts, cur["entry_bar"], cur["entry_price"], t, o[t], qty, pnl,
                                     cur["entry_fee"] + fee))
            qty, cur = 0.0, None
    if cur is not None:
        last = len(c) - 1
        pnl = qty * (c[last] - cur["entry_price"]) - cur["entry_fee"]
        trades.append(trade_dict(ts, cur["entry_bar"], cur["entry_price"], None, c[last], qty, pnl,
                                 cur["entry_fee"]))
    return trades, cash + qty * float(c[-1])


def trade_dict(ts, entry_bar, entry_price, exit_bar, exit_price, qty, pnl, fees):
    return {
        "entry_bar": int(entry_bar),
        "entry_time": ts[entry_bar],
        "entry_price": float(entry_price),
        "exit_bar": None if exit_bar is None else int(exit_bar),
        "exit_time": None if exit_bar is None else ts[exit_bar],
        "exit_price": float(exit_price),
        "quantity": float(qty),
        "pnl": float(pnl),
        "fees": float(fees),
        "open": exit_bar is None,
    }


# ---------------------------------------------------------------------------------------------
# backtesting.py


def run_backtesting(ts, bars, sig):
    """Two passes: the first (unit from the first close) only measures the largest quantity; the
    second uses a unit 2^-50 of it, so every order is < 2^51 whole units (exact float integers)
    and the whole-unit floor costs ~1e-15 of the quantity."""
    _, _, first = run_backtesting_unit(ts, bars, sig, None)
    return run_backtesting_unit(ts, bars, sig, first["max_quantity"])


def run_backtesting_unit(ts, bars, sig, max_qty):
    import numpy as np
    import pandas as pd
    from backtesting import Strategy
    from backtesting.lib import FractionalBacktest

    idx = pd.DatetimeIndex(pd.to_datetime(ts, utc=True))
    df = pd.DataFrame(
        {"Open": bars["open"], "High": bars["high"], "Low": bars["low"],
         "Close": bars["close"], "Volume": bars["volume"]},
        index=idx,
    )
    # Fractional units: FractionalBacktest multiplies prices by `fractional_unit` and trades whole
    # units of it. A power of two keeps that scaling exact in binary floating point.
    if not max_qty:
        max_qty = CASH / float(bars["close"][0])
    unit = 2.0 ** (math.floor(math.log2(max_qty)) - 50)
    all_in = float(np.nextafter(1.0, 0.0))  # backtesting.py reads sizes in (0, 1) as equity share

    class EmaRegime(Strategy):
        def init(self):
            # No NaN in the signal: backtesting.py starts calling next() one bar after the last
            # indicator's warm-up, and with the EMA21 itself as an indicator that is bar 21,
            # which would skip the decision on bar 20 (the first with both EMAs).
            self.sig = self.I(lambda: sig.astype(float), name="regime", overlay=False, plot=False)

        def next(self):
            s = self.sig[-1]
            if s > 0 and not self.position:
                self.buy(size=all_in)
            elif s < 0 and self.position:
                self.position.close()

    bt = FractionalBacktest(
        df, EmaRegime, cash=CASH, commission=FEE, margin=1.0, trade_on_close=False,
        exclusive_orders=True, hedging=False, finalize_trades=False, fractional_unit=unit,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = bt.run()

    trades = []
    for r in stats["_trades"].itertuples():
        trades.append(trade_dict(ts, r.EntryBar, r.EntryPrice, r.ExitBar, r.ExitPrice, r.Size,
                                 r.PnL, r.Commission))
    for tr in stats["_strategy"].trades:  # still open at the end (finalize_trades=False)
        qty = tr.size * unit
        entry_price = tr.entry_price / unit
        entry_fee = tr.size * tr.entry_price * FEE  # what _open_trade debited from cash
        # Trade.pl leaves commissions out until the trade closes; add back the entry fee the
        # broker already took, so that initial cash + sum(pnl) = final equity as for vectorbt.
        pnl = tr.pl - entry_fee
        trades.append(trade_dict(ts, tr.entry_bar, entry_price, None, bars["close"][-1], qty,
                                 pnl, entry_fee))
    max_q = max((t["quantity"] for t in trades), default=0.0)
    return trades, float(stats["Equity Final [$]"]), {"fractional_unit": unit, "max_quantity": max_q}


# ---------------------------------------------------------------------------------------------
# vectorbt


def vbt_portfolio(ts, bars, sig):
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    idx = pd.DatetimeIndex(pd.to_datetime(ts, utc=True))
    close = pd.Series(bars["close"], index=idx)
    price = pd.Series(bars["open"], index=idx)
    # Shift the decisions by one bar so the order is executed on bar t+1 at its open (price=);
    # vectorbt then records the fill on the bar it happens (entry_idx = fill bar).
    entries = pd.Series(sig > 0, index=idx).shift(1, fill_value=False).astype(bool)
    exits = pd.Series(sig < 0, index=idx).shift(1, fill_value=False).astype(bool)
    return vbt.Portfolio.from_signals(
        close=close, entries=entries, exits=exits, price=price, direction="longonly",
        size=np.inf, size_type="amount", fees=FEE, fixed_fees=0.0, slippage=0.0,
        init_cash=CASH, accumulate=False, freq="1min",
    )


def run_vectorbt(ts, bars, sig):
    pf = vbt_portfolio(ts, bars, sig)
    trades = []
    for r in pf.trades.values:  # the structured record array (trade_dt)
        is_open = int(r["status"]) == 0  # TradeStatus.Open
        trades.append(trade_dict(ts, r["entry_idx"], r["entry_price"],
                                 None if is_open else r["exit_idx"], r["exit_price"], r["size"],
                                 r["pnl"], r["entry_fees"] + r["exit_fees"]))
    return trades, float(pf.final_value()), {}


# ---------------------------------------------------------------------------------------------


def rel(a, b):
    d = max(abs(a), abs(b))
    return 0.0 if d == 0 else abs(a - b) / d


def compare(a, b):
    """Worst relative differences between two (trades, equity) results; bars must match exactly."""
    (ta, ea), (tb, eb) = a, b
    same_bars = [(t["entry_bar"], t["exit_bar"]) for t in ta] == \
                [(t["entry_bar"], t["exit_bar"]) for t in tb]
    q = p = px = 0.0
    if same_bars:
        for x, y in zip(ta, tb):
            q = max(q, rel(x["quantity"], y["quantity"]))
            px = max(px, rel(x["entry_price"], y["entry_price"]), rel(x["exit_price"], y["exit_price"]))
            p = max(p, abs(x["pnl"] - y["pnl"]) / CASH)
    return {
        "same_bars": same_bars,
        "final_equity_rel_diff": rel(ea, eb),
        "quantity_max_rel_diff": q,
        "price_max_rel_diff": px,
        "pnl_max_abs_diff_over_initial_cash": p,
    }


def own_ema_variants(ts, bars, sig):
    """What each framework's own EMA would have decided, run through vectorbt: bars whose regime
    differs from the TA-Lib-seeded one, and the resulting trade count and final equity."""
    import pandas as pd
    import vectorbt as vbt

    close = bars["close"]
    s = pd.Series(close)
    out = {}
    pe = regime(s.ewm(span=FAST, adjust=False).mean().to_numpy(),
                s.ewm(span=SLOW, adjust=False).mean().to_numpy())
    vf = vbt.MA.run(s, FAST, ewm=True).ma.to_numpy()
    vs = vbt.MA.run(s, SLOW, ewm=True).ma.to_numpy()
    ve = regime(vf, vs)
    for name, alt in (("pandas_ewm_adjust_false", pe), ("vectorbt_ma_ewm", ve)):
        pf = vbt_portfolio(ts, bars, alt)
        out[name] = {
            "regime_bars_differing": int((alt != sig).sum()),
            "trades": int(pf.trades.count()),
            "final_equity": float(pf.final_value()),
        }
    return out


def versions():
    from importlib.metadata import version

    v = {p: version(p) for p in VERSIONED}
    import talib

    c = talib.__ta_version__
    v["ta-lib C"] = (c.decode() if isinstance(c, bytes) else c).split(" ")[0]
    v["python"] = sys.version.split()[0]
    return v


def process(path, vers):
    ts, bars = read_bars(path)
    close = bars["close"]
    f9, f21 = ema_talib(close, FAST), ema_talib(close, SLOW)
    sig = regime(f9, f21)
    sig_np = regime(ema_numpy(close, FAST), ema_numpy(close, SLOW))

    spec = run_spec(ts, bars, sig)
    bt_trades, bt_eq, bt_extra = run_backtesting(ts, bars, sig)
    vb_trades, vb_eq, _ = run_vectorbt(ts, bars, sig)

    agreement = compare((bt_trades, bt_eq), (vb_trades, vb_eq))
    agreement["ok"] = agreement["same_bars"] and agreement["final_equity_rel_diff"] <= TOL
    vs_spec = {BT: compare((bt_trades, bt_eq), spec), VBT: compare((vb_trades, vb_eq), spec)}

    rel_path = os.path.relpath(path, ROOT)
    doc = {
        "schema": SCHEMA,
        "file": rel_path,
        "bars": len(ts),
        "first_timestamp": ts[0],
        "last_timestamp": ts[-1],
        "strategy": {
            "name": "ema_regime_long_only",
            "fast": FAST,
            "slow": SLOW,
            "ema": "TA-Lib EMA: first value = SMA of the first n closes at bar n-1, then "
                   "ema += k*(close-ema) with k=2/(n+1) (talib.EMA, fused multiply-add)",
            "enter": "ema_fast > ema_slow and flat, decided on bar t's close",
            "exit": "ema_fast < ema_slow and long, decided on bar t's close (equal: no action)",
            "fill": "open of bar t+1; a decision on the last bar is never filled",
            "quantity": "cash / (open * (1 + fee)), fractional",
            "fee_rate": FEE,
            "slippage": 0.0,
            "initial_cash": CASH,
            "open_at_end": "marked to the last close, exit_bar/exit_time null, no exit fee",
            "bar_index": "0-based row of the CSV, header excluded; entry_bar/exit_bar are fill bars",
        },
        "versions": vers,
        "signal": {
            "first_decision_bar": SLOW - 1,
            "long_regime_bars": int((sig > 0).sum()),
            "short_regime_bars": int((sig < 0).sum()),
            "equal_or_undefined_bars": int((sig == 0).sum()),
            "bars_differing_without_fma": int((sig_np != sig).sum()),
        },
        "frameworks": {
            BT: {"final_equity": bt_eq, "trades": bt_trades, "settings": {
                "class": "backtesting.lib.FractionalBacktest", "commission": FEE, "margin": 1.0,
                "trade_on_close": False, "exclusive_orders": True, "hedging": False,
                "finalize_trades": False, "order_size": "nextafter(1, 0) (all available margin)",
                "fractional_unit": bt_extra["fractional_unit"]}},
            VBT: {"final_equity": vb_eq, "trades": vb_trades, "settings": {
                "call": "Portfolio.from_signals", "entries/exits": "regime shifted by one bar",
                "price": "open", "size": "inf", "fees": FEE, "direction": "longonly",
                "accumulate": False, "init_cash": CASH}},
        },
        "reference": {"final_equity": spec[1], "trades": spec[0]},
        "agreement": agreement,
        "agreement_with_reference": vs_spec,
        "own_ema_variants": own_ema_variants(ts, bars, sig),
    }
    stem = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(OUT, f"{stem}.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return stem, doc


def summary_table(rows):
    lines = [
        "| file | bars | trades (bt / vbt) | open at end | final equity backtesting.py | "
        "final equity vectorbt | max rel diff (equity) | max rel diff (quantity) | same bars |",
        "| --- | ---: | ---: | :---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for stem, d in rows:
        b, v, a = d["frameworks"][BT], d["frameworks"][VBT], d["agreement"]
        open_ = "yes" if b["trades"] and b["trades"][-1]["open"] else "no"
        lines.append(
            f"| {stem} | {d['bars']} | {len(b['trades'])} / {len(v['trades'])} | {open_} | "
            f"{b['final_equity']:.6f} | {v['final_equity']:.6f} | "
            f"{a['final_equity_rel_diff']:.2e} | {a['quantity_max_rel_diff']:.2e} | "
            f"{'yes' if a['same_bars'] else 'NO'} |")
    return "\n".join(lines)


def variants_table(rows):
    lines = [
        "| file | trades (TA-Lib seed) | pandas ewm adjust=False: regime bars differing / trades | "
        "vectorbt MA ewm=True: regime bars differing / trades |",
        "| --- | ---: | ---: | ---: |",
    ]
    for stem, d in rows:
        p = d["own_ema_variants"]["pandas_ewm_adjust_false"]
        v = d["own_ema_variants"]["vectorbt_ma_ewm"]
        lines.append(f"| {stem} | {len(d['frameworks'][VBT]['trades'])} | "
                     f"{p['regime_bars_differing']} / {p['trades']} | "
                     f"{v['regime_bars_differing']} / {v['trades']} |")
    return "\n".join(lines)


def replace_block(text, name, body):
    begin, end = f"<!-- peers:{name}:begin -->", f"<!-- peers:{name}:end -->"
    if begin not in text or end not in text:
        return text + f"\n{begin}\n{body}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def main():
    import glob

    os.makedirs(OUT, exist_ok=True)
    files = sorted(p for p in glob.glob(os.path.join(SAMPLES, "*.csv"))
                   if not p.endswith("_trades.csv"))
    files.append(write_synth())
    vers = versions()
    rows, bad = [], []
    for path in files:
        stem, d = process(path, vers)
        a = d["agreement"]
        print(f"{stem:24} bars={d['bars']:6} trades={len(d['frameworks'][BT]['trades']):4}/"
              f"{len(d['frameworks'][VBT]['trades']):4} equity bt={d['frameworks'][BT]['final_equity']:.6f}"
              f" vbt={d['frameworks'][VBT]['final_equity']:.6f} rel={a['final_equity_rel_diff']:.1e}"
              f" same_bars={a['same_bars']}")
        rows.append((stem, d))
        if not a["ok"]:
            bad.append(stem)

    if os.path.exists(DOC):
        with open(DOC) as f:
            text = f.read()
        text = replace_block(text, "versions", "\n".join(f"- {k} {v}" for k, v in vers.items()))
        text = replace_block(text, "summary", summary_table(rows))
        text = replace_block(text, "variants", variants_table(rows))
        with open(DOC, "w") as f:
            f.write(text)
    if bad:
        print("frameworks disagree on: " + ", ".join(bad), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    ensure_venv()
    main()
