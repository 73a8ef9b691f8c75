"""Decode and measure real audio with ffmpeg/ffprobe and numpy (test helpers)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np


def decode(path: Path, rate: int = 22050) -> np.ndarray:
    """The file's audio as mono float samples in [-1, 1] at ``rate``."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0


def probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-show_chapters",
         "-of", "json", str(path)],
        capture_output=True, check=True, text=True,
    ).stdout
    return json.loads(out)


def duration_ms(path: Path, rate: int = 22050) -> float:
    return 1000.0 * len(decode(path, rate)) / rate


def envelope(samples: np.ndarray, rate: int, frame_ms: int = 20) -> np.ndarray:
    """RMS per frame: a loudness contour that survives encoding."""
    n = int(rate * frame_ms / 1000)
    usable = len(samples) // n * n
    frames = samples[:usable].reshape(-1, n)
    return np.sqrt((frames**2).mean(axis=1))


def speech_bounds(samples: np.ndarray, rate: int, threshold_db: float = -45.0) -> tuple[int, int]:
    """(first, last) sample index whose 10 ms RMS is above ``threshold_db``."""
    env = envelope(samples, rate, 10)
    loud = np.nonzero(20 * np.log10(env + 1e-12) > threshold_db)[0]
    if len(loud) == 0:
        return 0, 0
    step = int(rate * 0.01)
    return int(loud[0] * step), int((loud[-1] + 1) * step)


def speech_seconds(samples: np.ndarray, rate: int) -> float:
    first, last = speech_bounds(samples, rate)
    return (last - first) / rate


def similarity(a: np.ndarray, b: np.ndarray, rate: int) -> float:
    """Correlation of two loudness contours (1.0: same shape), after aligning lengths."""
    ea, eb = envelope(a, rate), envelope(b, rate)
    n = min(len(ea), len(eb))
    if n < 5:
        return 0.0
    return float(np.corrcoef(ea[:n], eb[:n])[0, 1])
