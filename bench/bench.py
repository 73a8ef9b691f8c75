#!/usr/bin/env python3
"""narrate's speed benchmark (`make bench`): ratios against bare espeak-ng + ffmpeg,
measured in the same run on the same machine, because machines here are shared and
noisy. Not a test: it prints numbers.

For the sample article and for the same article repeated 10×:
  baseline  espeak-ng -v en-us -w on the raw text, then ffmpeg to a 44.1 kHz 96 kbps mono MP3
  cold      narrate with an empty sentence cache
  warm      the same command again (the output is up to date)
  edit      one sentence changed, everything else cached
each as wall time, CPU time (user+sys of the whole process tree), peak RSS (the largest
sum over the process tree, sampled every 10 ms) and the ratio of wall time to the
baseline; plus seconds of audio per wall second and the time of `narrate --help`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ARTICLE = REPO.parent / "shared" / "samples" / "karabakh-offensive.txt"
NARRATE = [sys.executable, "-m", "narrate"]


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float


def _tree_rss_kb(root: int) -> int:
    """Sum of VmRSS over ``root`` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def _sample(pid: int, stop: threading.Event, peaks: list[int]) -> None:
    while not stop.is_set():
        peaks[0] = max(peaks[0], _tree_rss_kb(pid))
        stop.wait(0.01)


def measure(commands: list[list[str]], env: dict[str, str] | None = None) -> Run:
    """Run ``commands`` one after another; wall, CPU and peak tree RSS over all of them."""
    wall = cpu = 0.0
    peak = 0
    for cmd in commands:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, **(env or {})})
        stop = threading.Event()
        peaks = [0]
        sampler = threading.Thread(target=_sample, args=(proc.pid, stop, peaks), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        stop.set()
        sampler.join()
        wall += time.perf_counter() - start
        cpu += usage.ru_utime + usage.ru_stime
        peak = max(peak, peaks[0], usage.ru_maxrss)
        if os.waitstatus_to_exitcode(status) != 0:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"bench: {' '.join(cmd)} failed: {err.strip()}")
        proc.returncode = 0
    return Run(wall, cpu, peak / 1024)


def audio_seconds(mp3: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                          "csv=p=0", str(mp3)], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def edit_one_sentence(text: str) -> str:
    """Change one word in the middle of the article (one utterance differs)."""
    words = text.split(" ")
    middle = len(words) // 2
    words[middle] = words[middle] + " indeed"
    return " ".join(words)


def bench_article(name: str, article: Path, work: Path) -> dict:
    cache = work / f"cache-{name}"
    env = {"NARRATE_CACHE_DIR": str(cache)}
    out = work / f"{name}.mp3"
    wav = work / f"{name}.wav"
    base = work / f"{name}-baseline.mp3"
    baseline = measure([
        ["espeak-ng", "-v", "en-us", "-w", str(wav), "-f", str(article)],
        ["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ac", "1", "-ar", "44100", "-b:a", "96k",
         "-compression_level", "7", str(base)],
    ])
    shutil.rmtree(cache, ignore_errors=True)
    cold = measure([[*NARRATE, str(article), "-o", str(out), "-q"]], env)
    warm = measure([[*NARRATE, str(article), "-o", str(out), "-q"]], env)
    edited = work / f"{name}-edited.txt"
    edited.write_text(edit_one_sentence(article.read_text(encoding="utf-8")), encoding="utf-8")
    edit = measure([[*NARRATE, str(edited), "-o", str(out), "-q"]], env)
    seconds = audio_seconds(out)
    return {
        "article": name,
        "chars": len(article.read_text(encoding="utf-8")),
        "audio_s": round(seconds, 1),
        "baseline": asdict(baseline),
        "cold": asdict(cold),
        "warm": asdict(warm),
        "edit": asdict(edit),
        "ratio": {k: round(r.wall_s / baseline.wall_s, 2) for k, r in
                  (("cold", cold), ("warm", warm), ("edit", edit))},
        "audio_s_per_wall_s_cold": round(seconds / cold.wall_s, 1),
    }


def repeated(text: str, times: int) -> str:
    """The article's body ``times`` over, with its scraped head and tail once (an author
    box repeated mid-article would, rightly, drop everything after it)."""
    lines = text.splitlines()
    cut = next((n for n, line in enumerate(lines) if line.strip().lower() == "about the writer"), len(lines))
    body, tail = lines[:cut], lines[cut:]
    return "\n".join(body * times + tail) + "\n"


def frontend_seconds_per_mb(article: Path) -> float:
    """Normalising and splitting 1 MB of news text (the article's body repeated), as
    narrate script does it: best of three, in this process."""
    sys.path.insert(0, str(REPO))
    from narrate.config import Settings
    from narrate.ingest import parse_document
    from narrate.script import build_script, drop_boilerplate

    lines = article.read_text(encoding="utf-8").splitlines()
    cut = next((n for n, line in enumerate(lines) if line.strip().lower() == "about the writer"), len(lines))
    body = "\n".join(lines[1:cut])  # no player label, no author box: only what is read
    text = "\n".join([body] * (1_000_000 // len(body) + 1))[:1_000_000]
    doc = drop_boilerplate(parse_document(text, "bench.txt", ""))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        build_script(doc, Settings())
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("article", nargs="?", type=Path, default=DEFAULT_ARTICLE)
    parser.add_argument("--repeat", type=int, default=10,
                        help="the long article is the sample's body this many times")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    if not args.article.is_file():
        raise SystemExit(f"bench: {args.article}: no such file (pass an article)")
    with tempfile.TemporaryDirectory(prefix="narrate-bench-") as tmp:
        work = Path(tmp)
        long_article = work / f"article-x{args.repeat}.txt"
        text = args.article.read_text(encoding="utf-8")
        long_article.write_text(repeated(text, args.repeat), encoding="utf-8")
        results = [bench_article("x1", args.article, work),
                   bench_article(f"x{args.repeat}", long_article, work)]
        help_run = measure([[*NARRATE, "--help"]])
    frontend = frontend_seconds_per_mb(args.article)
    one, many = results
    summary = {
        "results": results,
        "help_s": round(help_run.wall_s, 3),
        "scale_cold_wall": round(many["cold"]["wall_s"] / one["cold"]["wall_s"], 2),
        "scale_cold_rss": round(many["cold"]["peak_rss_mb"] / one["cold"]["peak_rss_mb"], 2),
        "cpus": os.cpu_count(),
        "frontend_s_per_mb": round(frontend, 2),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f"narrate benchmark on {args.article.name} ({os.cpu_count()} cores)\n")
    print(f"{'article':<8} {'run':<9} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'× base':>7}")
    for r in results:
        for run in ("baseline", "cold", "warm", "edit"):
            m = r[run]
            ratio = "" if run == "baseline" else f"{r['ratio'][run]:.2f}"
            print(f"{r['article']:<8} {run:<9} {m['wall_s']:8.2f} {m['cpu_s']:8.2f} "
                  f"{m['peak_rss_mb']:8.0f} {ratio:>7}")
        print(f"{'':<8} audio {r['audio_s']:.0f} s; {r['audio_s_per_wall_s_cold']:.0f} s of audio per "
              "wall second (cold)")
    print(f"\n10× article: cold wall {summary['scale_cold_wall']}× the 1× cold wall; "
          f"peak RSS {summary['scale_cold_rss']}× the 1× peak RSS")
    print(f"narrate --help: {summary['help_s']:.3f} s")
    print(f"text front end (normalise + split): {summary['frontend_s_per_mb']:.2f} s per MB")


if __name__ == "__main__":
    main()
