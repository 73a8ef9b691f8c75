"""Stress run for issue 21: SIGKILL one engine worker, then the main process, at random
moments of a 200-article batch; run the batch once more and check that every article is
done, no process of the killed run is left, and no temporary file is left behind.

    .venv/bin/python bench/kill_stress.py --rounds 20 --articles 200

Each round narrates into a fresh output folder with a fresh clip cache (so the engine
workers have work to be killed in) and a private TMPDIR. Prints one line per round and a summary.
Not a test: it takes minutes (README, "Reliability").
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

WORDS = ["harbour", "ferry", "council", "budget", "school", "river", "market", "station", "bridge", "library"]


def article(n: int) -> str:
    rng = random.Random(n)
    a, b, c = (rng.choice(WORDS) for _ in range(3))
    return (f"Story {n}: the {a} reopens\n\nThe {a} reopened on day {n} after repairs to the {b}. "
            f"Officials said the {c} would follow within {n % 17 + 2} weeks. Residents welcomed the news.\n")


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        out = subprocess.run(["pgrep", "-P", str(todo.pop())], capture_output=True, text=True, check=False)
        kids = [int(p) for p in out.stdout.split()]
        found += kids
        todo += kids
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


ORPHAN_WAIT_S = 10.0  # a process of the killed run still alive this long after it is an orphan


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace").replace("\0", " ")[:80]
    except OSError:
        return "?"


def is_worker(pid: int) -> bool:
    """An engine worker: a Python child of the run (not ffmpeg, not the resource tracker)."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        cmdline = Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return False
    return "python" in Path(exe).name and "resource_tracker" not in cmdline


def batch(archive: Path, out: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "narrate", "batch", str(archive), "-o", str(out), "-q",
                             "--jobs", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def leftovers(work: Path, out: Path) -> dict[str, int]:
    return {
        "part": len(list(out.rglob(".*.part"))),
        "tmp": len(list((work / "tmp").iterdir())),
        "cache_tmp": len(list((work / "cache").rglob(".tmp-*"))) if (work / "cache").exists() else 0,
    }


def one_round(n: int, work: Path, archive: Path, env: dict[str, str], rng: random.Random,
              articles: int, window: float) -> dict[str, Any]:
    out = work / f"out-{n}"
    env = {**env, "NARRATE_CACHE_DIR": str(work / "cache" / str(n))}  # cold: workers have work to do
    proc = batch(archive, out, env)
    t_worker, t_main = rng.uniform(0.5, window), rng.uniform(0.5, window)
    time.sleep(t_worker)
    workers = [p for p in descendants(proc.pid) if is_worker(p)] if proc.poll() is None else []
    if workers:
        os.kill(rng.choice(workers), signal.SIGKILL)
    time.sleep(t_main)
    family = descendants(proc.pid) if proc.poll() is None else []
    finished_early = proc.poll() is not None
    if not finished_early:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + ORPHAN_WAIT_S
    while any(alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.05)
    orphans = [p for p in family if alive(p)]
    orphan_names = [command_of(p) for p in orphans]
    for pid in orphans:  # leave the machine clean for the next round
        os.kill(pid, signal.SIGKILL)
    done_before = len(list(out.glob("*.mp3")))
    started = time.monotonic()
    rerun = batch(archive, out, env)
    _, err = rerun.communicate(timeout=3600)
    import json

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    statuses = [row["status"] for row in report["items"]]
    return {
        "round": n, "worker_kill_s": round(t_worker, 2), "main_kill_s": round(t_worker + t_main, 2),
        "killed_a_worker": bool(workers), "finished_before_kill": finished_early,
        "outputs_before_rerun": done_before, "orphans": len(orphans), "rerun_exit": rerun.returncode,
        "done_after_rerun": sum(s in ("done", "skipped") for s in statuses), "articles": articles,
        "rerun_s": round(time.monotonic() - started, 1), **leftovers(work, out), "orphan_names": orphan_names,
        "stderr": err.decode(errors="replace").strip().splitlines()[-1:] if rerun.returncode else [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--window", type=float, default=6.0, help="seconds: kills fall in [0.5, window] each")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="kill-stress-"))
    archive = work / "archive"
    archive.mkdir()
    for n in range(args.articles):
        (archive / f"story-{n:03d}.txt").write_text(article(n), encoding="utf-8")
    (work / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(work / "tmp"), "NARRATE_CACHE_DIR": str(work / "cache")}
    results = []
    for n in range(1, args.rounds + 1):
        result = one_round(n, work, archive, env, rng, args.articles, args.window)
        results.append(result)
        print(" ".join(f"{k}={v}" for k, v in result.items()), flush=True)
    good = [r for r in results if r["rerun_exit"] == 0 and r["done_after_rerun"] == args.articles
            and not r["orphans"] and not (r["part"] or r["tmp"] or r["cache_tmp"])]
    print(f"\n{len(good)}/{len(results)} rounds: every article done after one re-run, "
          "no orphan, no temp file")
    print(f"worker killed in {sum(bool(r['killed_a_worker']) for r in results)} rounds; main killed before "
          f"the end in {sum(not r['finished_before_kill'] for r in results)}; orphans "
          f"{sum(r['orphans'] for r in results)}; leftovers "
          f"{sum(r['part'] + r['tmp'] + r['cache_tmp'] for r in results)}")
    before = statistics.median(r["outputs_before_rerun"] for r in results)
    print(f"outputs complete before the re-run: median {before} of {args.articles}; "
          f"re-run median {statistics.median(r['rerun_s'] for r in results)} s")
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
