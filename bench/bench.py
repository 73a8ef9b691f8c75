#!/usr/bin/env python3
"""narrate's speed benchmark (`make bench`): ratios against bare espeak-ng + ffmpeg,
measured in the same run on the same machine, because machines here are shared and
noisy. Not a test: it prints numbers.

For the sample article and for the same article repeated 10×:
  baseline  espeak-ng -v en-us -w on the raw text, then ffmpeg to a 44.1 kHz 96 kbps mono MP3
  cold      narrate with an empty sentence cache
  warm      the same command again (the output is up to date)
  edit      one sentence changed, everything else cached
each as wall time, CPU time (user+sys of the whole process tree) and the ratio of wall
time to the baseline; plus seconds of audio per wall second and the time of
`narrate --help`.

Each round runs the baseline and then narrate's three runs, so a ratio compares runs
made moments apart; the table shows the median of --rounds rounds (and the range of
the ratios). Peak RSS (the largest sum over the process tree) comes from one more
round of its own: sampling /proc every 10 ms costs ~13 % of a core, which would
slow whatever uses both cores and not the single-threaded baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
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


def measure(commands: list[list[str]], env: dict[str, str] | None = None, rss: bool = False) -> Run:
    """Run ``commands`` one after another; wall and CPU over all of them, and with
    ``rss`` the peak tree RSS (sampled, which costs CPU: only in the RSS round)."""
    wall = cpu = 0.0
    peak = 0
    for cmd in commands:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, **(env or {})})
        stop = threading.Event()
        peaks = [0]
        sampler = threading.Thread(target=_sample, args=(proc.pid, stop, peaks), daemon=True)
        if rss:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall += time.perf_counter() - start
        stop.set()
        if rss:
            sampler.join()
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


def one_round(name: str, article: Path, work: Path, round_: str, rss: bool = False) -> dict[str, Run]:
    """Baseline, then narrate cold (fresh cache), warm and edit, in their own folder."""
    folder = work / f"{name}-{round_}"
    folder.mkdir()
    env = {"NARRATE_CACHE_DIR": str(folder / "cache")}
    out = folder / f"{name}.mp3"
    runs = {"baseline": measure([
        ["espeak-ng", "-v", "en-us", "-w", str(folder / "base.wav"), "-f", str(article)],
        ["ffmpeg", "-v", "error", "-y", "-i", str(folder / "base.wav"), "-ac", "1", "-ar", "44100",
         "-b:a", "96k", "-compression_level", "7", str(folder / "base.mp3")],
    ], rss=rss)}
    runs["cold"] = measure([[*NARRATE, str(article), "-o", str(out), "-q"]], env, rss)
    runs["warm"] = measure([[*NARRATE, str(article), "-o", str(out), "-q"]], env, rss)
    edited = folder / "edited.txt"
    edited.write_text(edit_one_sentence(article.read_text(encoding="utf-8")), encoding="utf-8")
    runs["edit"] = measure([[*NARRATE, str(edited), "-o", str(out), "-q"]], env, rss)
    return runs


def bench_article(name: str, article: Path, work: Path, rounds: int) -> dict:
    timed = [one_round(name, article, work, str(n)) for n in range(rounds)]
    peaks = one_round(name, article, work, "rss", rss=True)
    seconds = audio_seconds(work / f"{name}-0" / f"{name}.mp3")
    kinds = ("baseline", "cold", "warm", "edit")
    result: dict = {"article": name, "chars": len(article.read_text(encoding="utf-8")),
                    "audio_s": round(seconds, 1), "rounds": rounds}
    for kind in kinds:
        result[kind] = {
            "wall_s": statistics.median(r[kind].wall_s for r in timed),
            "cpu_s": statistics.median(r[kind].cpu_s for r in timed),
            "peak_rss_mb": peaks[kind].peak_rss_mb,
        }
    ratios = {kind: sorted(r[kind].wall_s / r["baseline"].wall_s for r in timed) for kind in kinds[1:]}
    result["ratio"] = {kind: round(statistics.median(values), 2) for kind, values in ratios.items()}
    result["ratio_range"] = {kind: [round(v[0], 2), round(v[-1], 2)] for kind, v in ratios.items()}
    result["audio_s_per_wall_s_cold"] = round(seconds / result["cold"]["wall_s"], 1)
    return result


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
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per article (medians are shown)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    if not args.article.is_file():
        raise SystemExit(f"bench: {args.article}: no such file (pass an article)")
    with tempfile.TemporaryDirectory(prefix="narrate-bench-") as tmp:
        work = Path(tmp)
        long_article = work / f"article-x{args.repeat}.txt"
        text = args.article.read_text(encoding="utf-8")
        long_article.write_text(repeated(text, args.repeat), encoding="utf-8")
        results = [bench_article("x1", args.article, work, args.rounds),
                   bench_article(f"x{args.repeat}", long_article, work, args.rounds)]
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
    print(f"narrate benchmark on {args.article.name} ({os.cpu_count()} cores, "
          f"median of {args.rounds} rounds)\n")
    print(f"{'article':<8} {'run':<9} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'× base':>7}  range")
    for r in results:
        for run in ("baseline", "cold", "warm", "edit"):
            m = r[run]
            ratio, spread = "", ""
            if run != "baseline":
                ratio = f"{r['ratio'][run]:.2f}"
                spread = "{:.2f}–{:.2f}".format(*r["ratio_range"][run])
            print(f"{r['article']:<8} {run:<9} {m['wall_s']:8.2f} {m['cpu_s']:8.2f} "
                  f"{m['peak_rss_mb']:8.0f} {ratio:>7}  {spread}")
        print(f"{'':<8} audio {r['audio_s']:.0f} s; {r['audio_s_per_wall_s_cold']:.0f} s of audio per "
              "wall second (cold)")
    print(f"\n10× article: cold wall {summary['scale_cold_wall']}× the 1× cold wall; "
          f"peak RSS {summary['scale_cold_rss']}× the 1× peak RSS")
    print(f"narrate --help: {summary['help_s']:.3f} s")
    print(f"text front end (normalise + split): {summary['frontend_s_per_mb']:.2f} s per MB")


if __name__ == "__main__":
    main()
