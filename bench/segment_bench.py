"""Time narrate.segment.split() on 1 MB of news text, and pysbd on the same text.

The text is ../shared/samples/karabakh-offensive.txt cut into paragraph blocks the way the
pipeline ingests it, repeated until it reaches 1 MB; split() is called once per block, as
narrate.script does. Prints seconds per MB (best of several runs, to be fair to a busy
machine). Usage: .venv/bin/python bench/segment_bench.py [SAMPLE] [--runs N] [--no-pysbd]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from narrate.ingest.text import paragraphs
from narrate.segment import split

DEFAULT_SAMPLE = Path(__file__).resolve().parents[2] / "shared/samples/karabakh-offensive.txt"
MB = 1_000_000


def news_blocks(sample: Path, size: int = MB) -> list[str]:
    """Paragraph blocks of the sample, repeated until they hold ``size`` characters."""
    base = [block.text for block in paragraphs(sample.read_text(encoding="utf-8"))]
    blocks: list[str] = []
    total = 0
    while total < size:
        for text in base:
            blocks.append(text)
            total += len(text)
    return blocks


def seconds_per_mb(segment: Callable[[str], object], blocks: list[str], runs: int) -> float:
    size = sum(len(b) for b in blocks)
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for text in blocks:
            segment(text)
        best = min(best, time.perf_counter() - started)
    return best * MB / size


def pysbd_segment() -> Callable[[str], object] | None:
    try:
        import pysbd
    except ImportError:
        return None
    return pysbd.Segmenter(language="en", clean=False).segment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", nargs="?", type=Path, default=DEFAULT_SAMPLE)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-pysbd", action="store_true")
    args = parser.parse_args()
    blocks = news_blocks(args.sample)
    size = sum(len(b) for b in blocks)
    print(f"{len(blocks)} blocks, {size / MB:.2f} MB of text from {args.sample.name}")
    print(f"narrate.segment.split: {seconds_per_mb(split, blocks, args.runs):.3f} s/MB")
    other = None if args.no_pysbd else pysbd_segment()
    if other is not None:
        print(f"pysbd (clean=False):   {seconds_per_mb(other, blocks, 1):.3f} s/MB")


if __name__ == "__main__":
    main()
