#!/usr/bin/env python3
"""What C2PA signing costs (issue 19). Not a test: it prints numbers.

For a 5-minute article (the shared Karabakh sample) narrated once into MP3, M4A, WAV
and FLAC (warm cache), then in --rounds interleaved rounds:
  sign      narrate's signing step on a copy of each file (c2pa_sign.sign: the SDK signs
            into a sibling file, it replaces the original, and the result is read back
            and validated once, as narrate does)
  read      validating the credentials of the signed file (what `narrate inspect` adds)
  e2e       `narrate ARTICLE -o x.mp3 --force` with and without --sign-cert/--sign-key,
            one after the other in each round (warm sentence and piece caches)
Medians (and ranges) of the rounds; the end-to-end difference is signing's share of a
real re-narration.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from narrate.export import c2pa_sign  # noqa: E402
from narrate.keys import init_keys  # noqa: E402

ARTICLE = REPO.parent / "shared" / "samples" / "karabakh-offensive.txt"
NARRATE = [sys.executable, "-m", "narrate"]
FORMATS = ("mp3", "m4a", "wav", "flac")
CLAIM = c2pa_sign.Claim("Bench", "bench", "pyttsx3", "en-us", "Bench", None, "0" * 64, "bench.txt",
                        {"text": "Voice is AI-generated.", "start_ms": 0, "end_ms": 3000, "recording": False})


def timed(func: object, *args: object) -> float:
    started = time.perf_counter()
    func(*args)  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


def narrate(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([*NARRATE, *args], check=True, capture_output=True)
    return time.perf_counter() - started


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f}  ({min(values):.1f}–{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--article", type=Path, default=ARTICLE)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sign-bench-"))
    try:
        keys = init_keys(work / "keys")
        sign_flags = ["--sign-cert", str(keys.chain), "--sign-key", str(keys.key)]
        plain = {}
        for fmt in FORMATS:
            plain[fmt] = work / f"plain.{fmt}"
            narrate(str(args.article), "-o", str(plain[fmt]), "-q")
        signing: dict[str, list[float]] = {f: [] for f in FORMATS}
        reading: dict[str, list[float]] = {f: [] for f in FORMATS}
        e2e: dict[str, list[float]] = {"unsigned": [], "signed": []}
        for _ in range(args.rounds):
            for fmt in FORMATS:
                copy = work / f"copy.{fmt}"
                shutil.copy(plain[fmt], copy)
                signing[fmt].append(timed(c2pa_sign.sign, copy, fmt, CLAIM, keys.chain, keys.key))
                reading[fmt].append(timed(c2pa_sign.read, copy))
            again = [str(args.article), "-o", str(work / "e2e.mp3"), "-q", "-f"]
            e2e["unsigned"].append(narrate(*again))
            e2e["signed"].append(narrate(*again, *sign_flags))
        print(f"{args.article.name}, {args.rounds} rounds; medians (range)")
        print(f"{'format':<6} {'MB':>6} {'sign ms':>22} {'read ms':>22}")
        for fmt in FORMATS:
            size = plain[fmt].stat().st_size / 1e6
            print(f"{fmt:<6} {size:6.1f} {spread(signing[fmt]):>22} {spread(reading[fmt]):>22}")
        print(f"narrate --force, MP3, unsigned: {spread(e2e['unsigned'])} s")
        print(f"narrate --force, MP3, signed:   {spread(e2e['signed'])} s")
        diffs = [s - u for s, u in zip(e2e["signed"], e2e["unsigned"], strict=True)]
        print(f"signed − unsigned, per round:   {spread(diffs)} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
