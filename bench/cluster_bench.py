#!/usr/bin/env python3
"""``narrate batch --cluster`` against local ``--jobs 2`` on this machine (issue 18), and
the per-article CPU cost the README's "Scaling out" projection is made from. Not a test:
it takes ~15 minutes on 2 shared cores.

Each round narrates the same N generated short articles (batch_bench's) three ways, each
from an empty clip cache into an empty folder, in an order that rotates every round:
  local   narrate batch --jobs 2                         (what a careful user runs today)
  start   narrate batch --cluster local                  (starts a Ray cluster, then stops it)
  join    narrate batch --cluster HOST:PORT              (a running 2-CPU Ray cluster, as in production)
and prints the median wall time and throughput of each, and the overhead (1 - cluster
throughput / local throughput). Every run is its own session (setsid): the kernel's
autogroup scheduler gives each session one share of a busy machine. Then the 5-minute
sample article (karabakh-offensive.txt), from an empty cache, with the default voice and
with --profile neural: CPU seconds of the whole process tree per article and per minute
of audio.

    python bench/cluster_bench.py                  # 300 articles, 3 rounds
    python bench/cluster_bench.py --count 60 --rounds 1
    python bench/cluster_bench.py --rounds 2 --ways local,join --no-cost
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_bench import article  # noqa: E402

from bench import DEFAULT_ARTICLE, NARRATE, audio_seconds, measure  # noqa: E402

WAYS = ("local", "start", "join")


def batch_command(way: str, src: Path, out: Path, address: str) -> list[str]:
    # Each run in a session of its own: with the kernel's autogroup scheduling a session
    # gets one fair share of a busy machine, and Ray's processes run in sessions of their
    # own, so a cluster run started from this session would get shares a local run does not.
    command = ["setsid", "-w", *NARRATE, "batch", str(src), "-o", str(out), "-q"]
    return command + {"local": ["--jobs", "2"], "start": ["--cluster", "local"],
                      "join": ["--cluster", address]}[way]


def one_run(way: str, src: Path, work: Path, address: str, env: dict[str, str]) -> dict:
    out, cache = work / f"out-{way}", work / f"cache-{way}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(batch_command(way, src, out, address), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False,
                          env={**os.environ, **env, "NARRATE_CACHE_DIR": str(cache)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {way} run failed: {proc.stderr.strip()}")
    summary = json.loads((out / "report.json").read_text())["summary"]
    # The driver's process tree; a cluster's actors (with their engine workers and encoders)
    # report their own CPU time in the table's cluster line.
    tree = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    nodes = re.search(r"([\d.]+) CPU-s on the nodes", proc.stderr)
    return {"wall_s": wall, "cpu_s": tree, "nodes_cpu_s": float(nodes.group(1)) if nodes else 0.0,
            "done": summary["done"], "audio_h": summary["audio_hours"]}


def throughput_rounds(count: int, rounds: int, work: Path, env: dict[str, str],
                      ways: tuple[str, ...]) -> dict[str, list[dict]]:
    from ray.cluster_utils import Cluster

    rng = random.Random(18)
    src = work / "articles"
    src.mkdir()
    for n in range(count):
        (src / f"article-{n:04d}.txt").write_text(article(n, rng), encoding="utf-8")
    # The running cluster's processes inherit this environment: its nodes' clip cache is
    # the join runs' cache folder (emptied before each of them, as the others' are).
    env = {**env, "NARRATE_CACHE_DIR": str(work / "cache-join")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False})
    try:
        results: dict[str, list[dict]] = {way: [] for way in ways}
        for r in range(rounds):
            order = ways[r % len(ways):] + ways[: r % len(ways)]
            for way in order:
                run = one_run(way, src, work, cluster.address, env)
                results[way].append(run)
                print(f"round {r + 1} {way:<5} {run['wall_s']:6.1f} s wall {run['cpu_s']:6.1f} s CPU "
                      f"(+ {run['nodes_cpu_s']:.0f} s on the nodes) {run['done']} articles", flush=True)
        return results
    finally:
        cluster.shutdown()  # never `ray stop`: it kills every Ray process of the user
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def cost_per_article(work: Path, profile: str, env: dict[str, str]) -> dict:
    src = work / f"cost-{profile}"
    src.mkdir()
    shutil.copy(DEFAULT_ARTICLE, src / DEFAULT_ARTICLE.name)
    out = work / f"cost-out-{profile}"
    run = measure([[*NARRATE, "batch", str(src), "-o", str(out), "-q", "--jobs", "2", "--profile", profile]],
                  {**env, "NARRATE_CACHE_DIR": str(work / f"cost-cache-{profile}")})
    audio_min = audio_seconds(next(out.glob("*.mp3"))) / 60
    return {"profile": profile, "audio_min": round(audio_min, 2), "wall_s": round(run.wall_s, 1),
            "cpu_s": round(run.cpu_s, 1), "cpu_s_per_audio_min": round(run.cpu_s / audio_min, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ways", default=",".join(WAYS), help="which of local,start,join to run")
    parser.add_argument("--no-cost", action="store_true", help="skip the per-article CPU cost runs")
    args = parser.parse_args()
    ways = tuple(w for w in WAYS if w in args.ways.split(","))
    with tempfile.TemporaryDirectory(prefix="nrb-", dir="/tmp") as tmp:  # short: Ray's socket paths
        work = Path(tmp)
        # Ray runs its workers at nice 15 unless told otherwise: on a shared machine that
        # would measure the neighbours, not Ray. (--cluster local sets 0 itself.)
        env = {"RAY_TMPDIR": str(work / "r"), "RAY_AUTH_MODE": "disabled", "RAY_worker_niceness": "0"}
        results = throughput_rounds(args.count, args.rounds, work, env, ways)
        local = statistics.median(r["wall_s"] for r in results["local"])
        print(f"\n{args.count} articles, {args.rounds} rounds, medians:")
        for way in ways:
            wall = statistics.median(r["wall_s"] for r in results[way])
            cpu = statistics.median(r["cpu_s"] for r in results[way])
            nodes = statistics.median(r["nodes_cpu_s"] for r in results[way])
            per_hour = args.count / wall * 3600
            overhead = 1 - local / wall
            print(f"  {way:<5} {wall:6.1f} s wall  {cpu:6.1f} s CPU (+ {nodes:.0f} on the nodes)  "
                  f"{per_hour:8.0f} articles/hour  overhead {overhead:+.1%}")
        local_cpu = statistics.median(r["cpu_s"] for r in results["local"])
        audio_h = results["local"][0]["audio_h"]
        print(f"  short articles: {local_cpu / args.count:.3f} CPU-s each "
              f"({audio_h * 60 / args.count:.2f} audio minutes each)")
        if args.no_cost:
            return
        print("\nper-article CPU cost, the 5-minute sample, empty cache, --jobs 2:")
        for profile in ("default", "neural"):
            print("  " + json.dumps(cost_per_article(work, profile, env)), flush=True)


if __name__ == "__main__":
    main()
