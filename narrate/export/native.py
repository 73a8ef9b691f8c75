"""Loading the C libraries measured loudness and decoded MP3 rely on (libebur128,
libmpg123), each through ctypes from its own home module."""

from __future__ import annotations

import ctypes


def load_library(soname: str, name: str) -> ctypes.CDLL | None:
    """The library by its Debian soname, else wherever ``ctypes.util.find_library``
    finds ``name`` (another soname, a .dylib); None when neither loads. The soname comes
    first: find_library runs ``ldconfig -p`` in a subprocess (~20 ms of every run)."""
    try:
        return ctypes.CDLL(soname)
    except OSError:
        pass
    from ctypes.util import find_library

    found = find_library(name)
    if found is None:
        return None
    try:
        return ctypes.CDLL(found)
    except OSError:
        return None
