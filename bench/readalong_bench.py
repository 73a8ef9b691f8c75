"""What the read-along files cost: ``narrate ARTICLE`` against ``narrate ARTICLE --player
--epub`` (the page and a one-chapter EPUB), the same article, warm clip cache, fresh output
folder each time, rounds interleaved; medians reported.

    .venv/bin/python bench/readalong_bench.py [--rounds 5] [ARTICLE]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "samples" / "karabakh-offensive.txt"


def timed(article: Path, out: Path, *flags: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "narrate", str(article), "-q", "-o", f"{out}/", *flags],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("article", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        timed(args.article, Path(tmp) / "warm")  # the clips and pieces in the cache
        plain, both = [], []
        for n in range(args.rounds):
            plain.append(timed(args.article, Path(tmp) / f"plain{n}"))
            both.append(timed(args.article, Path(tmp) / f"both{n}", "--player", "--epub"))
        folder = Path(tmp) / f"both{args.rounds - 1}"
        sizes = {p.suffix: p.stat().st_size for p in folder.iterdir()}
    a, b = statistics.median(plain), statistics.median(both)
    print(f"article: {args.article.name}, {args.rounds} interleaved rounds, warm cache")
    print(f"narrate ARTICLE                  median {a:.2f} s")
    print(f"narrate ARTICLE --player --epub  median {b:.2f} s  ({b / a:.2f}x)")
    print(f"page {sizes['.html'] / 1024:.0f} KB; EPUB {sizes['.epub'] / 1024:.0f} KB "
          f"(audio {sizes['.mp3'] / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
