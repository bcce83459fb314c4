#!/usr/bin/env python3
"""Reference fixtures for the backtest metrics (crates/ploutos-engine/src/backtest/metrics.rs).

Runs backtesting.py (PyPI package `backtesting`) on the real sample data with a simple
SMA-cross strategy of its own, and writes, per data set, one JSON fixture with

* the equity curve backtesting.py computed its stats on (`equity`: [[RFC 3339 time, equity]]),
* its closed trades (entry/exit time, prices, size, pnl, commission, return),
* `initial_equity`, `first_close` (the close at the first trading bar after the indicator
  warm-up, which backtesting.py's buy & hold uses) and `last_close`,
* every scalar statistic backtesting.py reported (`stats`, its own key names; timedeltas in
  seconds, timestamps as RFC 3339, NaN as null),
* `duration_resolution_s`: the unit backtesting.py ceils its durations to.

to crates/ploutos-engine/tests/fixtures/metrics/<name>.json; the Rust test
crates/ploutos-engine/tests/metrics_reference.rs recomputes the metrics from the equity curve
and trades and compares.

Usage: python3 scripts/metrics_reference.py [--venv DIR]
The script creates (or reuses) a throwaway virtual environment (default
/tmp/ploutos-metrics-venv), installs `backtesting` there and re-executes itself inside it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "crates" / "ploutos-engine" / "tests" / "fixtures" / "metrics"
BACKTESTING_VERSION = "0.6.6"

# name, file, cash, fast, slow
DATASETS = [
    ("goog_daily", "goog_daily.csv", 100_000.0, 10, 30),
    ("btcusdt_1h", "btcusdt_binance_1h.csv", 1_000_000.0, 10, 30),
    ("spy_1m", "spy_1m.csv", 100_000.0, 10, 30),
    ("btcusdt_1m", "btcusdt_binance_1m.csv", 1_000_000.0, 10, 30),
    ("btcusd_monthly", "btcusd_monthly.csv", 1_000_000.0, 3, 8),
]
COMMISSION = 0.002


def ensure_venv(path: Path) -> None:
    """Re-exec inside a venv that has backtesting installed."""
    if os.environ.get("PLOUTOS_METRICS_IN_VENV") == "1":
        return
    python = path / "bin" / "python"
    if not python.exists():
        venv.create(path, with_pip=True)
    check = subprocess.run(
        [str(python), "-c", "import backtesting; print(backtesting.__version__)"],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0 or check.stdout.strip() != BACKTESTING_VERSION:
        subprocess.check_call(
            [str(python), "-m", "pip", "install", "-q", f"backtesting=={BACKTESTING_VERSION}"]
        )
    env = dict(os.environ, PLOUTOS_METRICS_IN_VENV="1")
    os.execve(str(python), [str(python), __file__, *sys.argv[1:]], env)


def iso(ts) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def scalar(value):
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.Timedelta):
        return None if pd.isna(value) else value.total_seconds()
    if isinstance(value, pd.Timestamp):
        return iso(value)
    if value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if pd.isna(value):
        return None
    return None


def run_one(name: str, file: str, cash: float, fast: int, slow: int) -> dict:
    import pandas as pd
    from backtesting import Backtest, Strategy
    from backtesting._util import _data_period, _indicator_warmup_nbars
    from backtesting.lib import crossover

    df = pd.read_csv(ROOT / "data" / "samples" / file)
    df.index = pd.DatetimeIndex(pd.to_datetime(df.pop("timestamp"), utc=True).dt.tz_localize(None))
    df = df.rename(columns=str.capitalize)

    def sma(values, n):
        return pd.Series(values).rolling(n).mean()

    class SmaCross(Strategy):
        n1 = fast
        n2 = slow

        def init(self):
            self.fast = self.I(sma, self.data.Close, self.n1)
            self.slow = self.I(sma, self.data.Close, self.n2)

        def next(self):
            if crossover(self.fast, self.slow):
                self.position.close()
                self.buy()
            elif crossover(self.slow, self.fast):
                self.position.close()
                self.sell()

    bt = Backtest(df, SmaCross, cash=cash, commission=COMMISSION, finalize_trades=True)
    stats = bt.run()
    equity = stats["_equity_curve"]["Equity"]
    trades = stats["_trades"]
    warmup = _indicator_warmup_nbars(stats["_strategy"])
    period = _data_period(df.index)
    resolution = getattr(period, "resolution_string", None) or period.resolution

    return {
        "source": f"backtesting.py {BACKTESTING_VERSION}, SmaCross({fast}, {slow}), "
        f"commission {COMMISSION}, finalize_trades=True, data/samples/{file}",
        "initial_equity": cash,
        "first_close": float(df["Close"].iloc[warmup]),
        "last_close": float(df["Close"].iloc[-1]),
        "duration_resolution_s": pd.Timedelta(1, unit=resolution).total_seconds(),
        "equity": [[iso(t), float(e)] for t, e in equity.items()],
        "trades": [
            {
                "size": float(t.Size),
                "entry_time": iso(t.EntryTime),
                "exit_time": iso(t.ExitTime),
                "entry_price": float(t.EntryPrice),
                "exit_price": float(t.ExitPrice),
                "pnl": float(t.PnL),
                "commission": float(t.Commission),
                "return_pct": float(t.ReturnPct) * 100.0,
            }
            for t in trades.itertuples()
        ],
        "stats": {k: scalar(v) for k, v in stats.items() if not k.startswith("_")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--venv", default="/tmp/ploutos-metrics-venv", type=Path)
    args = parser.parse_args()
    ensure_venv(args.venv)
    import warnings

    warnings.simplefilter("ignore")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, file, cash, fast, slow in DATASETS:
        fixture = run_one(name, file, cash, fast, slow)
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(fixture, indent=1) + "\n")
        print(f"{path.relative_to(ROOT)}: {len(fixture['equity'])} equity points, "
              f"{len(fixture['trades'])} trades")


if __name__ == "__main__":
    main()
