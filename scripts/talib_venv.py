"""Shared by the TA-Lib scripts: run the calling script inside a throwaway virtualenv that has
the PyPI `ta-lib` wheel (which bundles the TA-Lib C library) and numpy.

The venv lives at $PLOUTOS_TALIB_VENV (default /tmp/ploutos-talib-venv). The ta-lib version is
pinned: the committed fixtures were generated with wheel 0.8.2 = TA-Lib C 0.8.1, and another
version may compute other bits.
"""
import os
import subprocess
import sys

VENV = os.environ.get("PLOUTOS_TALIB_VENV", "/tmp/ploutos-talib-venv")
PACKAGES = ["ta-lib==0.8.2", "numpy"]


def ensure(script):
    """Re-executes `script` (its __file__) with the venv's Python unless already inside it."""
    py = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    subprocess.check_call([py, "-m", "pip", "install", "-q", *PACKAGES])
    os.execv(py, [py, os.path.abspath(script)] + sys.argv[1:])
