#!/usr/bin/env python3
"""Makes the Parquet fixtures of crates/ploutos-store/tests/fixtures from data/samples.

Run from anywhere: `python3 scripts/make_parquet_fixtures.py`. It installs pyarrow into a
throwaway virtual environment of its own (nothing is installed system-wide) and re-runs
itself there. The fixtures are what pandas/pyarrow users produce:

- btcusdt_pyarrow_1m.parquet: first 100 rows of btcusdt_binance_1m.csv, nullable columns,
  timestamp as INT64 TIMESTAMP(NANOS, UTC), Snappy.
- spy_pyarrow_us_1m.parquet: first 100 rows of spy_1m.csv, timestamp as INT64
  TIMESTAMP(MICROS) without a zone, volume as INT64, Snappy.
"""

import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "data", "samples")
OUT = os.path.join(ROOT, "crates", "ploutos-store", "tests", "fixtures")


def in_venv():
    with tempfile.TemporaryDirectory() as venv:
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        py = os.path.join(venv, "bin", "python")
        subprocess.check_call([py, "-m", "pip", "install", "--quiet", "pyarrow"])
        subprocess.check_call([py, os.path.abspath(__file__), "--inside"])


def make():
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    os.makedirs(OUT, exist_ok=True)

    t = pacsv.read_csv(os.path.join(SAMPLES, "btcusdt_binance_1m.csv")).slice(0, 100)
    t = t.set_column(0, "timestamp", t.column("timestamp").cast(pa.timestamp("ns", tz="UTC")))
    pq.write_table(t, os.path.join(OUT, "btcusdt_pyarrow_1m.parquet"), compression="snappy")

    s = pacsv.read_csv(os.path.join(SAMPLES, "spy_1m.csv")).slice(0, 100)
    s = s.set_column(0, "timestamp", s.column("timestamp").cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us")))
    s = s.set_column(5, "volume", s.column("volume").cast(pa.int64()))
    pq.write_table(s, os.path.join(OUT, "spy_pyarrow_us_1m.parquet"), compression="snappy")

    for name in sorted(os.listdir(OUT)):
        path = os.path.join(OUT, name)
        print(name, os.path.getsize(path), "bytes", pq.read_schema(path).types)


if __name__ == "__main__":
    if "--inside" in sys.argv:
        make()
    else:
        in_venv()
