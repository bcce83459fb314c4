#!/usr/bin/env python3
"""One peer backtest in one process (run inside the peers venv by scripts/bench_backtest.py).

Usage: peer_worker.py {vectorbt|backtesting} FILE REPEAT

Prints one JSON line: load_s (pandas read_csv + timestamp parsing), run_s of every repeat (TA-Lib
EMA 9/21 + regime + the framework's backtest + final value), final equity, trades.  The strategy
and its conventions (long only, decide on the close, fill at the next open, 0.1% fee both ways,
all cash) are those of scripts/peers_agreement.py, whose functions are reused.
"""
import json
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # scripts/
os.environ.setdefault("TQDM_DISABLE", "1")

import peers_agreement as pa  # noqa: E402


def main():
    tool, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    t0 = time.perf_counter()
    import pandas as pd  # noqa: F401  (imports are not the load phase)
    if tool == "vectorbt":
        import vectorbt  # noqa: F401
    else:
        import backtesting  # noqa: F401
    import talib  # noqa: F401
    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    df = pd.read_csv(path)
    idx = pd.DatetimeIndex(pd.to_datetime(df["timestamp"], utc=True, format="ISO8601"))
    bars = {c: df[c].to_numpy(dtype="float64") for c in ("open", "high", "low", "close", "volume")}
    load_s = time.perf_counter() - t0

    runs, equity, trades = [], None, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        close = bars["close"]
        sig = pa.regime(pa.ema_talib(close, pa.FAST), pa.ema_talib(close, pa.SLOW))
        if tool == "vectorbt":
            pf = pa.vbt_portfolio(idx, bars, sig)
            equity = float(pf.final_value())
            runs.append(time.perf_counter() - t0)
            trades = int(pf.trades.count())
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tr, equity, _ = pa.run_backtesting_unit(idx, bars, sig, None)
            runs.append(time.perf_counter() - t0)
            trades = len(tr)
    print(json.dumps({"tool": tool, "bars": len(df), "import_s": t_import, "load_s": load_s,
                      "run_s": runs, "final_equity": equity, "trades": trades}))


if __name__ == "__main__":
    main()
