"""BS.1770 gating blocks measured in this process, with libebur128 (the reference C
implementation of EBU R 128; Debian's libebur128-1). The home of libebur128.

ffmpeg's ebur128 filter costs a process (~45 ms to start), a resampler (it only takes
48 kHz) and a pipe for every byte: ~0.2 CPU-s for five minutes of speech, and in a
cold run it fell behind while the engines spoke, so encoding waited for it. Here the
K-weighting runs at the clips' own rate where the PCM already is: ~0.08 s.

A block is the momentary loudness (a 400 ms window) at every whole 100 ms step from
the start, as ffmpeg's meter prints it with ``ametadata``: the first three windows,
not yet whole, read as silence (as ffmpeg's do), so BS.1770's gating never sees a
partial block and block *n* still belongs to the piece its window ends in.
"""

from __future__ import annotations

import ctypes
import functools
import math
from array import array
from collections.abc import Iterable
from typing import Any

from narrate.errors import EncodeError
from narrate.export.native import load_library

MODE_M = 1  # EBUR128_MODE_M: momentary loudness only
MODE_TRUE_PEAK = (1 << 5) | (1 << 4) | MODE_M  # EBUR128_MODE_TRUE_PEAK (4x oversampled below 96 kHz)
UNFILLED = 3  # steps before the first whole 400 ms window
SILENT_BLOCK = -120.7  # what ffmpeg prints for a window that is not whole yet
FLOOR = -200.0  # digital silence (libebur128 says -inf)


@functools.cache
def _library() -> Any | None:
    """libebur128 through ctypes, or None when it is not installed."""
    lib = load_library("libebur128.so.1", "ebur128")
    if lib is None:
        return None
    lib.ebur128_init.restype = ctypes.c_void_p
    lib.ebur128_init.argtypes = [ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    lib.ebur128_add_frames_short.restype = ctypes.c_int
    lib.ebur128_add_frames_short.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.ebur128_loudness_momentary.restype = ctypes.c_int
    lib.ebur128_loudness_momentary.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_double)]
    lib.ebur128_true_peak.restype = ctypes.c_int
    lib.ebur128_true_peak.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.POINTER(ctypes.c_double)]
    lib.ebur128_destroy.restype = None
    lib.ebur128_destroy.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    return lib


def available() -> bool:
    """Is libebur128 installed? (Without it, ffmpeg's meter measures instead.)"""
    return _library() is not None


class BlockMeter:
    """The gating blocks of mono s16le PCM written to it a chunk at a time, measured as
    it is written (``write`` returns once its whole steps are measured); with
    ``true_peak``, its true peak too."""

    def __init__(self, rate: int, true_peak: bool = False) -> None:
        lib = _library()
        if lib is None:
            raise EncodeError("libebur128 is missing; install it with: apt-get install libebur128-1")
        self._lib = lib
        self._step = rate // 10
        self._state = ctypes.c_void_p(lib.ebur128_init(1, rate, MODE_TRUE_PEAK if true_peak else MODE_M))
        if not self._state:
            raise EncodeError(f"libebur128 cannot measure audio at {rate} Hz")
        self._pending = b""  # the part of a step not written yet
        self._reading = ctypes.c_double()
        self._blocks = array("d")  # 8 bytes a block: 100,000 of them in three hours

    def write(self, pcm: bytes) -> None:
        if not self._state:
            raise EncodeError("the loudness meter was closed")
        data = self._pending + pcm if self._pending else pcm
        size = 2 * self._step
        whole = len(data) - len(data) % size
        add, momentary, state, reading = (self._lib.ebur128_add_frames_short,
                                          self._lib.ebur128_loudness_momentary, self._state, self._reading)
        blocks = self._blocks
        out = ctypes.byref(reading)
        for offset in range(0, whole, size):
            if add(state, data[offset : offset + size], self._step) or momentary(state, out):
                raise EncodeError("libebur128 failed to measure the audio")
            value = reading.value
            blocks.append(value if value > FLOOR else FLOOR)
        self._pending = data[whole:]

    def true_peak_db(self) -> float:
        """The true peak of what was written so far, in dBTP (-120 for silence)."""
        peak = ctypes.c_double()
        if not self._state or self._lib.ebur128_true_peak(self._state, 0, ctypes.byref(peak)):
            raise EncodeError("libebur128 has no true peak for this audio")
        return 20 * math.log10(peak.value) if peak.value > 1e-6 else -120.0

    def blocks(self) -> array[float]:
        """Every block of what was written (the meter is closed)."""
        self.close()
        found = self._blocks
        found[:UNFILLED] = array("d", [SILENT_BLOCK] * min(UNFILLED, len(found)))
        return found

    def abandon(self) -> None:
        """Stop without a reading (the run failed)."""
        self.close()

    def close(self) -> None:
        if self._state:
            self._lib.ebur128_destroy(ctypes.byref(self._state))
            self._state = ctypes.c_void_p()


def blocks_of(pcm: bytes | Iterable[bytes], rate: int) -> array[float]:
    """The gating blocks of ``pcm`` (bytes, or chunks of a stretch) measured on its own."""
    meter = BlockMeter(rate)
    try:
        for chunk in [pcm] if isinstance(pcm, bytes) else pcm:
            meter.write(chunk)
    finally:
        meter.close()
    return meter.blocks()
