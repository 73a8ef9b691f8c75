#!/usr/bin/env python3
"""Is this revision slower than another? Cold, warm and edit runs of the sample, for the
working tree and for REV (a commit), interleaved round by round (the two alternate which
goes first), medians reported. Not a test: it prints numbers.

    .venv/bin/python bench/compare_revisions.py HEAD~3 --rounds 7

REV is checked out into a temporary folder (git worktree) and run with this
interpreter, so both use the same installed dependencies.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ARTICLE = REPO.parent / "shared" / "samples" / "karabakh-offensive.txt"
KINDS = ("cold", "warm", "edit")


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def one_round(tree: Path, article: Path, folder: Path) -> dict[str, float]:
    folder.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(tree), "NARRATE_CACHE_DIR": str(folder / "cache")}
    run = [sys.executable, "-m", "narrate"]
    out = folder / "out.mp3"
    edited = folder / "edited.txt"
    words = article.read_text(encoding="utf-8").split(" ")
    words[len(words) // 2] += " indeed"
    edited.write_text(" ".join(words), encoding="utf-8")
    return {
        "cold": timed([*run, str(article), "-o", str(out), "-q"], env, folder),
        "warm": timed([*run, str(article), "-o", str(out), "-q"], env, folder),
        "edit": timed([*run, str(edited), "-o", str(out), "-q"], env, folder),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rev", help="the revision to compare the working tree with")
    parser.add_argument("article", nargs="?", type=Path, default=DEFAULT_ARTICLE)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="narrate-compare-") as tmp:
        work = Path(tmp)
        other = work / "rev"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(other), args.rev],
                       check=True)
        try:
            trees = {"this": REPO, args.rev: other}
            for tree in trees.values():  # compile first: the benchmark must not time the compiler
                subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "narrate")],
                               check=True, stdout=subprocess.DEVNULL)
            times: dict[str, dict[str, list[float]]] = {name: {k: [] for k in KINDS} for name in trees}
            for n in range(args.rounds):
                order = list(trees) if n % 2 == 0 else list(reversed(trees))
                for name in order:
                    for kind, seconds in one_round(trees[name], args.article, work / f"{name}-{n}").items():
                        times[name][kind].append(seconds)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(other)], check=False)
    print(f"{args.article.name}: median wall seconds over {args.rounds} interleaved rounds\n")
    print(f"{'run':<6} {'this':>8} {args.rev:>12} {'this / rev':>11}")
    for kind in KINDS:
        mine, theirs = (statistics.median(times[name][kind]) for name in trees)
        print(f"{kind:<6} {mine:8.3f} {theirs:12.3f} {mine / theirs:11.2f}")


if __name__ == "__main__":
    main()
