#!/usr/bin/env python3
"""Time TA-Lib's RSI/EMA/MACD/BBANDS/ATR on a bar CSV (best of N).

Usage:  python3 scripts/bench_talib.py FILE.csv [--repeat N]

FILE.csv has the columns timestamp,open,high,low,close,volume, e.g. the output of
`ploutos data synth --bars 5000000 --seed 42 --out FILE.csv` (or, equivalently,
`ploutos data synth --bars 5000000 --seed 42 --out FILE.csv`).

Creates (or reuses) a virtualenv at $PLOUTOS_TALIB_VENV (default
/tmp/ploutos-talib-venv) with `ta-lib` and numpy, re-executes itself inside it, and
prints a markdown table of milliseconds per call and bars per second (best of N runs,
default 5). The timing covers the talib.* call only (the Python wrapper's input checks
and output allocation included), not the CSV parsing.
"""
import os
import sys
import time

import talib_venv  # noqa: E402  (scripts/talib_venv.py)



def main():
    import numpy as np
    import talib

    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    path = args[0]
    repeat = 5
    if "--repeat" in args:
        repeat = int(args[args.index("--repeat") + 1])
    data = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(2, 3, 4), dtype=np.float64)
    high = np.ascontiguousarray(data[:, 0])
    low = np.ascontiguousarray(data[:, 1])
    close = np.ascontiguousarray(data[:, 2])
    n = len(close)
    cases = [
        ("RSI(14)", lambda: talib.RSI(close, timeperiod=14)),
        ("EMA(21)", lambda: talib.EMA(close, timeperiod=21)),
        ("MACD(12,26,9)", lambda: talib.MACD(close, 12, 26, 9)),
        ("BBANDS(20,2,2)", lambda: talib.BBANDS(close, 20, 2.0, 2.0, 0)),
        ("ATR(14)", lambda: talib.ATR(high, low, close, timeperiod=14)),
    ]
    c_version = talib.__ta_version__
    if isinstance(c_version, bytes):
        c_version = c_version.decode()
    print(f"TA-Lib python {talib.__version__}, C {c_version}; {n} bars from {path}; best of {repeat}\n")
    # The C functions themselves, through ctypes, writing into preallocated output arrays
    # (what ploutos-ta's `*_into` functions do): the compute alone.
    import ctypes
    import glob

    libs = glob.glob(os.path.join(os.path.dirname(talib.__file__), "..", "ta_lib.libs", "libta-lib*.so*"))
    c_cases = []
    if libs:
        lib = ctypes.CDLL(libs[0])
        lib.TA_Initialize()
        dp = ctypes.POINTER(ctypes.c_double)
        ip = ctypes.byref
        beg, nb = ctypes.c_int(), ctypes.c_int()
        outs = [np.empty(n) for _ in range(3)]
        P = lambda a: a.ctypes.data_as(dp)  # noqa: E731
        lib.TA_BBANDS.argtypes = [ctypes.c_int, ctypes.c_int, dp, ctypes.c_int, ctypes.c_double,
                                  ctypes.c_double, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, dp, dp, dp]
        c_cases = [
            ("RSI(14)", lambda: lib.TA_RSI(0, n - 1, P(close), 14, ip(beg), ip(nb), P(outs[0]))),
            ("EMA(21)", lambda: lib.TA_EMA(0, n - 1, P(close), 21, ip(beg), ip(nb), P(outs[0]))),
            ("MACD(12,26,9)", lambda: lib.TA_MACD(0, n - 1, P(close), 12, 26, 9, ip(beg), ip(nb),
                                                  P(outs[0]), P(outs[1]), P(outs[2]))),
            ("BBANDS(20,2,2)", lambda: lib.TA_BBANDS(0, n - 1, P(close), 20, 2.0, 2.0, 0, ip(beg), ip(nb),
                                                     P(outs[0]), P(outs[1]), P(outs[2]))),
            ("ATR(14)", lambda: lib.TA_ATR(0, n - 1, P(high), P(low), P(close), 14, ip(beg), ip(nb),
                                           P(outs[0]))),
        ]

    def best_of(f):
        f()  # warm-up
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            r = f()
            best = min(best, time.perf_counter() - t0)
            if isinstance(r, int) and r != 0:
                sys.exit(f"TA-Lib returned error code {r}")
        return best

    c_times = dict((name, best_of(f)) for name, f in c_cases)
    print("| function | Python wrapper (allocates outputs), ms | C function into preallocated arrays, ms |")
    print("|---|---:|---:|")
    for name, f in cases:
        w = best_of(f)
        c = c_times.get(name)
        cs = f"{c * 1e3:.2f} ({n / c / 1e6:.0f} M bars/s)" if c else "n/a"
        print(f"| {name} | {w * 1e3:.2f} ({n / w / 1e6:.0f} M bars/s) | {cs} |")


if __name__ == "__main__":
    talib_venv.ensure(__file__)
    main()
