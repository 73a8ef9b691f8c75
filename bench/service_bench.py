#!/usr/bin/env python3
"""The newsroom service's speed (README, "The newsroom service"): numbers, not a test.

1. Submission latency: 20 concurrent clients PUT 10 short articles each to a running
   server; p50 and p99 of the request round trip (the work itself runs in the job
   threads, after the 202).
2. Submit → webhook for the sample article vs ``narrate SAMPLE`` on the command line,
   both with an empty sentence cache, interleaved round by round (medians): the service
   pays for its HTTP hop, its queue and a signed POST; the CLI for its start-up.
3. Throughput: 20 articles through a running server whose engine pool is warm vs
   ``narrate batch`` of the same 20 files, both with an empty cache (medians).

    .venv/bin/python bench/service_bench.py [--rounds 3]
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from service_tools import Server, call, create_key  # noqa: E402 (the tests' own driver)

SAMPLE = REPO.parent / "shared" / "samples" / "karabakh-offensive.txt"
NARRATE = [sys.executable, "-m", "narrate"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Hook:
    """A webhook receiver that notes when each article's event arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        arrived = self.arrived

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                arrived[body["article"]["id"]] = time.monotonic()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def fresh_server(work: Path, name: str, hook: Hook) -> tuple[Server, str]:
    data = work / name / "data"
    key = create_key(data, "--webhook", hook.url)
    server = Server(data, ("--workers", "2"), env={"NARRATE_CACHE_DIR": str(work / name / "cache")})
    return server.start(), key.token


def latency(work: Path, hook: Hook) -> None:
    server, token = fresh_server(work, "latency", hook)
    times: list[float] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for m in range(10):
            body = {"text": f"Latency brief {n}-{m}. The tide was high.", "options": {"disclaimer": False}}
            start = time.perf_counter()
            reply = call("PUT", f"{server.url}/v1/articles/lat-{n}-{m}", body, token=token)
            elapsed = time.perf_counter() - start
            assert reply.status == 202, reply.body
            with lock:
                times.append(elapsed * 1000)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    server.stop()
    print(
        f"submission latency, 20 clients x 10 PUTs: p50 {percentile(times, 0.5):.1f} ms, "
        f"p99 {percentile(times, 0.99):.1f} ms, max {max(times):.1f} ms",
        flush=True,
    )


def submit_to_webhook(work: Path, hook: Hook, rounds: int) -> None:
    service_s, cli_s = [], []
    text = SAMPLE.read_text(encoding="utf-8")
    for n in range(rounds):
        server, token = fresh_server(work, f"sample-{n}", hook)
        start = time.monotonic()
        assert call("PUT", f"{server.url}/v1/articles/sample-{n}", {"text": text}, token=token).status == 202
        while f"sample-{n}" not in hook.arrived:
            time.sleep(0.01)
        service_s.append(hook.arrived[f"sample-{n}"] - start)
        server.stop()
        out = work / f"cli-{n}" / "sample.mp3"
        cli_s.append(timed_narrate([str(SAMPLE), "-o", str(out), "-q"], work / f"cli-{n}" / "cache"))
        print(f"  round {n}: service {service_s[-1]:.2f} s, CLI {cli_s[-1]:.2f} s", flush=True)
    service, cli = statistics.median(service_s), statistics.median(cli_s)
    print(
        f"sample article, submit -> webhook {service:.2f} s vs CLI {cli:.2f} s: {service / cli:.2f}x "
        f"(medians of {rounds})",
        flush=True,
    )


def timed_narrate(args: list[str], cache: Path) -> float:
    """Wall seconds of one ``narrate ARGS`` run on the command line with its own cache."""
    start = time.monotonic()
    subprocess.run([*NARRATE, *args], check=True, env={**os.environ, "NARRATE_CACHE_DIR": str(cache)},
                   capture_output=True)
    return time.monotonic() - start


def article(n: int) -> str:
    return (
        f"# Council Notes {n}\n\nThe council met on day {n} to discuss the harbour budget. "
        f"Members voted {n % 7 + 3} to {n % 3 + 1} to repair the north pier.\n\n"
        f"Repairs on pier {n} start next month and last about {n % 5 + 2} weeks.\n"
    )


def throughput(work: Path, hook: Hook, rounds: int) -> None:
    pool_s, batch_s = [], []
    for n in range(rounds):
        server, token = fresh_server(work, f"pool-{n}", hook)
        warm = {"text": "Warm up sentence.", "options": {"disclaimer": False}}
        call("PUT", f"{server.url}/v1/articles/warm-{n}", warm, token=token)
        while f"warm-{n}" not in hook.arrived:
            time.sleep(0.01)
        ids = [f"pool-{n}-{m}" for m in range(20)]
        start = time.monotonic()
        for m, article_id in enumerate(ids):
            call("PUT", f"{server.url}/v1/articles/{article_id}", {"markdown": article(m)}, token=token)
        while not all(i in hook.arrived for i in ids):
            time.sleep(0.01)
        pool_s.append(max(hook.arrived[i] for i in ids) - start)
        server.stop()
        src = work / f"batch-{n}" / "in"
        src.mkdir(parents=True)
        for m in range(20):
            (src / f"a{m:02d}.md").write_text(article(m), encoding="utf-8")
        out, cache = work / f"batch-{n}" / "out", work / f"batch-{n}" / "cache"
        batch_s.append(timed_narrate(["batch", str(src), "-o", str(out), "-q"], cache))
        print(f"  round {n}: warm pool {pool_s[-1]:.2f} s, batch {batch_s[-1]:.2f} s", flush=True)
    pool, batch = statistics.median(pool_s), statistics.median(batch_s)
    print(
        f"20 articles: warm service {20 / pool:.2f} articles/s vs narrate batch {20 / batch:.2f} articles/s "
        f"({batch / pool:.2f}x, medians of {rounds})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parts", default="latency,webhook,throughput", help="which measurements to run")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    hook = Hook()
    with tempfile.TemporaryDirectory(prefix="narrate-service-bench-") as tmp:
        work = Path(tmp)
        if "latency" in parts:
            latency(work, hook)
        if "webhook" in parts:
            submit_to_webhook(work, hook, args.rounds)
        if "throughput" in parts:
            throughput(work, hook, args.rounds)


if __name__ == "__main__":
    main()
