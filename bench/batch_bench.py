#!/usr/bin/env python3
"""Archive-mode scale run (issue 6): N generated short articles through `narrate batch`
with --jobs 1 and --jobs 2, each from an empty cache into an empty folder. Prints wall
time, peak RSS of the process tree, and throughput in articles and audio-hours per
wall-hour. Not a test: it takes minutes.

    python bench/batch_bench.py            # 1,000 articles
    python bench/batch_bench.py --count 200
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import NARRATE, measure  # noqa: E402

PLACES = ["Northsound", "Alder Valley", "Castlemere", "Brookfield", "Harrow Bay", "Millcross"]
BODIES = ["council", "water board", "port authority", "school district", "health trust", "ferry operator"]
VERBS = ["approved", "delayed", "rejected", "announced", "reviewed", "funded"]


def article(n: int, rng: random.Random) -> str:
    place, body, verb = rng.choice(PLACES), rng.choice(BODIES), rng.choice(VERBS)
    amount, share = rng.randint(2, 900), rng.randint(3, 60)
    return (
        f"{place} {body.title()} {verb.title()} Plan {n}\n"
        f"The {place} {body} {verb} plan number {n} on Monday after a long debate.\n"
        f"Officials said it would cost ${amount} million over {rng.randint(2, 9)} years.\n"
        f"About {share}% of residents responded to the consultation, the {body} said.\n"
        f'"We listened carefully," said Dr. {rng.choice(["Ortega", "Salo", "Okafor", "Lind"])}.\n'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(7)
    results = {}
    with tempfile.TemporaryDirectory(prefix="narrate-batch-bench-") as tmp:
        work = Path(tmp)
        src = work / "articles"
        for n in range(args.count):
            folder = src / f"{n // 100:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"article-{n:04d}.txt").write_text(article(n, rng), encoding="utf-8")
        for jobs in (1, 2):
            out = work / f"out-{jobs}"
            run = measure([[*NARRATE, "batch", str(src), "-o", str(out), "-q", "--jobs", str(jobs)]],
                          {"NARRATE_CACHE_DIR": str(work / f"cache-{jobs}")}, rss=True)
            report = json.loads((out / "report.json").read_text())["summary"]
            hours = report["audio_hours"]
            results[jobs] = {
                "wall_s": round(run.wall_s, 1), "cpu_s": round(run.cpu_s, 1),
                "peak_rss_mb": round(run.peak_rss_mb), "done": report["done"], "failed": report["failed"],
                "audio_hours": hours,
                "articles_per_hour": round(report["done"] / run.wall_s * 3600),
                "audio_hours_per_hour": round(hours / run.wall_s * 3600, 1),
            }
            print(f"--jobs {jobs}: {json.dumps(results[jobs])}", flush=True)
    speedup = results[1]["wall_s"] / results[2]["wall_s"]
    print(f"two workers deliver {speedup:.2f}x the throughput of one")


if __name__ == "__main__":
    main()
