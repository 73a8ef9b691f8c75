#!/usr/bin/env python3
"""Peak memory against narration length (issue 21, class 16): does a 3-hour narration
stay within ~1.2x the peak of a 5-minute one?

    .venv/bin/python bench/memory_bench.py                  # 5, 60 and 180 minutes, one round
    .venv/bin/python bench/memory_bench.py --minutes 5,60 --rounds 3

Each article is made of distinct sentences (the sample article's words in a seeded
random order, a heading every twelve paragraphs), so every sentence is synthesised and
nothing is shared through the clip cache. Each run is cold: a fresh clip cache and a
fresh output folder, the default voice (pyttsx3/espeak-ng), MP3.

The main process's peak RSS (VmHWM) is exact: narrate runs in a ``python -c`` shell that
reads /proc/self/status at exit. The engine workers' and ffmpeg's peaks are sampled
(their VmHWM, every 20 ms). Rounds are interleaved (every length once per round);
medians are shown. Not a test: the 3-hour run takes a minute or two (README, "Reliability").
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO.parent / "shared" / "samples" / "karabakh-offensive.txt"
WORDS_PER_MINUTE = 130  # of audio, pauses included, at the default voice's 175 wpm

# The narrate command line, in a shell that reports the process's own peak RSS at exit.
SHELL = """
import atexit, os, sys
def _peak():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["MEMORY_BENCH_PEAK"], "w") as out:
        out.write(peak)
atexit.register(_peak)
sys.argv[0] = "narrate"
from narrate.cli import main
main()
"""


def vocabulary() -> list[str]:
    text = SAMPLE.read_text(encoding="utf-8") if SAMPLE.exists() else (REPO / "samples" / "ferry-timetable.md"
                                                                          ).read_text(encoding="utf-8")
    return sorted({w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2})


def article(minutes: float, seed: int = 16) -> str:
    """Markdown that narrates for about ``minutes``: distinct sentences of 8-24 words,
    paragraphs of 2-5 sentences, a heading every twelve paragraphs."""
    rng, words = random.Random(seed), vocabulary()
    lines, count, paragraphs = ["# A long report", ""], 0, 0
    while count < minutes * WORDS_PER_MINUTE:
        if paragraphs % 12 == 0:
            lines += [f"## Section {paragraphs // 12 + 1}", ""]
        sentences = []
        for _ in range(rng.randint(2, 5)):
            n = rng.randint(8, 24)
            sentences.append(" ".join(rng.choice(words) for _ in range(n)).capitalize() + ".")
            count += n
        lines += [" ".join(sentences), ""]
        paragraphs += 1
    return "\n".join(lines)


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(root: int) -> dict[int, str]:
    """pid → command name of every descendant of ``root``."""
    parents: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                head, rest = handle.read().rsplit(")", 1)
        except OSError:
            continue
        pid = int(entry.name)
        names[pid] = head.split("(", 1)[1]
        parents.setdefault(int(rest.split()[1]), []).append(pid)
    found, todo = {}, list(parents.get(root, []))
    while todo:
        pid = todo.pop()
        found[pid] = names.get(pid, "?")
        todo += parents.get(pid, [])
    return found


@dataclass
class Run:
    audio_min: float
    wall_s: float
    main_mb: float  # the narrate process's own peak RSS (exact)
    worker_mb: float  # the largest engine worker's peak (sampled)
    ffmpeg_mb: float  # the largest ffmpeg's peak (sampled)


def narrate(source: Path, work: Path) -> Run:
    cache, out, peak_file = work / "cache", work / "out", work / "peak"
    env = {**os.environ, "NARRATE_CACHE_DIR": str(cache), "MEMORY_BENCH_PEAK": str(peak_file)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", SHELL, str(source), "-o", f"{out}/", "-q"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks: dict[str, int] = {"python": 0, "ffmpeg": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid, name in _descendants(proc.pid).items():
                kind = "ffmpeg" if name.startswith("ffmpeg") else "python"
                peaks[kind] = max(peaks[kind], _status_kb(pid, "VmHWM:"))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"memory_bench: narrate failed: {stderr.strip()}")
    seconds = float(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", stdout.strip()],
        capture_output=True, text=True, check=True).stdout)
    return Run(seconds / 60, wall, int(peak_file.read_text()) / 1024, peaks["python"] / 1024,
               peaks["ffmpeg"] / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", default="5,60,180", help="article lengths, comma-separated")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    lengths = [float(m) for m in args.minutes.split(",")]
    runs: dict[float, list[Run]] = {m: [] for m in lengths}
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as tmp:
        sources = {}
        for minutes in lengths:
            sources[minutes] = Path(tmp) / f"article-{minutes:g}.md"
            sources[minutes].write_text(article(minutes), encoding="utf-8")
        for n in range(args.rounds):
            for minutes in lengths:
                work = Path(tmp) / f"round-{n}-{minutes:g}"
                work.mkdir()
                run = narrate(sources[minutes], work)
                runs[minutes].append(run)
                print(f"round {n + 1}: {run.audio_min:6.1f} min of audio in {run.wall_s:5.1f} s: main "
                      f"{run.main_mb:5.1f} MB, largest worker {run.worker_mb:5.1f} MB, "
                      f"largest ffmpeg {run.ffmpeg_mb:5.1f} MB", flush=True)
    print(f"\nmedians of {args.rounds} round(s), cold cache, default voice, MP3:")
    print(f"{'audio':>9} {'wall':>7} {'main peak':>10} {'x shortest':>11} {'worker':>8} {'ffmpeg':>8}")
    base = statistics.median(r.main_mb for r in runs[lengths[0]])
    for minutes in lengths:
        rs = runs[minutes]
        audio, wall, main_mb, worker, ffmpeg = (
            statistics.median(getattr(r, name) for r in rs)
            for name in ("audio_min", "wall_s", "main_mb", "worker_mb", "ffmpeg_mb"))
        print(f"{audio:7.1f} m {wall:6.1f}s {main_mb:8.1f} MB {main_mb / base:10.2f}x"
              f" {worker:5.1f} MB {ffmpeg:5.1f} MB")


if __name__ == "__main__":
    main()
