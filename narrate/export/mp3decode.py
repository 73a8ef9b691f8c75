"""MP3 → PCM in this process, with libmpg123 (Debian's libmpg123-0, which ffmpeg's own
dependencies already bring). The home of libmpg123.

The loudness round trip decodes ten seconds of trial MP3 to hear what LAME did to
it. An ffmpeg process for that cost ~0.08 CPU-s, nearly all of it the start (the
binary links 215 libraries); libmpg123 decodes the same ten seconds in ~4 ms, to the
same samples as ffmpeg's decoder (±1 LSB, tested).
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

from narrate.errors import EncodeError
from narrate.export.native import load_library

ENC_SIGNED_16 = 0xD0  # MPG123_ENC_SIGNED_16
ADD_FLAGS, QUIET = 2, 0x20  # MPG123_ADD_FLAGS, MPG123_QUIET: no chatter on stderr
OK, NEED_MORE, NEW_FORMAT, DONE = 0, -10, -11, -12


@functools.cache
def _library() -> Any | None:
    """libmpg123 through ctypes, or None when it is not installed."""
    lib = load_library("libmpg123.so.0", "mpg123")
    if lib is None:
        return None
    handle, size, size_p = ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)
    signatures = {
        "mpg123_init": [],
        "mpg123_new": [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)],
        "mpg123_param": [handle, ctypes.c_int, ctypes.c_long, ctypes.c_double],
        "mpg123_format_none": [handle],
        "mpg123_format": [handle, ctypes.c_long, ctypes.c_int, ctypes.c_int],
        "mpg123_open_feed": [handle],
        "mpg123_decode": [handle, ctypes.c_char_p, size, ctypes.c_void_p, size, size_p],
        "mpg123_delete": [handle],
    }
    for name, argtypes in signatures.items():
        getattr(lib, name).argtypes = argtypes
        getattr(lib, name).restype = ctypes.c_int
    lib.mpg123_new.restype = ctypes.c_void_p
    lib.mpg123_delete.restype = None
    if lib.mpg123_init() != OK:
        return None
    return lib


def available() -> bool:
    """Is libmpg123 installed? (Without it, ffmpeg decodes instead.)"""
    return _library() is not None


def decode(mp3: bytes, rate: int) -> bytes:
    """Mono s16le PCM of an MP3 stream, decoded at ``rate`` (the rate it was encoded
    at): every sample a decoder yields, the encoder's delay included (there is no LAME
    tag to say what to skip)."""
    lib = _library()
    if lib is None:
        raise EncodeError("libmpg123 is missing; install it with: apt-get install libmpg123-0")
    error = ctypes.c_int()
    handle = ctypes.c_void_p(lib.mpg123_new(None, ctypes.byref(error)))
    if not handle:
        raise EncodeError(f"libmpg123 could not start a decoder (error {error.value})")
    try:
        if (lib.mpg123_param(handle, ADD_FLAGS, QUIET, 0.0) != OK or lib.mpg123_format_none(handle) != OK
                or lib.mpg123_format(handle, rate, 1, ENC_SIGNED_16) != OK
                or lib.mpg123_open_feed(handle) != OK):
            raise EncodeError(f"libmpg123 cannot decode mono MP3 at {rate} Hz")
        out = ctypes.create_string_buffer(1 << 16)
        done = ctypes.c_size_t()
        pcm: list[bytes] = []
        status = lib.mpg123_decode(handle, mp3, len(mp3), out, len(out), ctypes.byref(done))
        while True:
            pcm.append(out.raw[: done.value])
            if status in (NEED_MORE, DONE):
                return b"".join(pcm)
            if status not in (OK, NEW_FORMAT):
                raise EncodeError(f"libmpg123 failed to decode the trial MP3 (error {status})")
            status = lib.mpg123_decode(handle, None, 0, out, len(out), ctypes.byref(done))
    finally:
        lib.mpg123_delete(handle)
