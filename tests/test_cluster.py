"""``narrate batch --cluster`` on a real two-node Ray cluster on this machine
(``ray.cluster_utils.Cluster``, one CPU per node, started once for the module and shut
down even when a test fails): the outputs are the local batch's, a node killed mid-batch
loses nothing, a killed driver's re-run makes only what is missing, and a poisoned
article fails alone. Each test narrates articles of its own, so the cluster's clip cache
never answers for it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from audio_tools import duration_ms
from conftest import REPO, run_narrate

ARTICLES = 40
WORDS = ("harbour", "library", "orchard", "station", "bridge", "market", "school", "museum")


def article(n: int, topic: str) -> str:
    place = WORDS[n % len(WORDS)]
    return (f"The {topic} {place} report {n}\n\n"
            f"The {place} committee met on Monday to discuss the {topic} plan number {n}. "
            f"Members agreed that work on the {place} would begin in spring.\n")


def write_archive(root: Path, topic: str, poison: bool = False) -> Path:
    root.mkdir(parents=True)
    for n in range(1, ARTICLES + 1):
        (root / f"{topic}-{n:02d}.txt").write_text(article(n, topic), encoding="utf-8")
    if poison:
        (root / "poison.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return root


@dataclass
class RayCluster:
    cluster: Any
    worker: Any
    env: dict[str, str]

    @property
    def address(self) -> str:
        return str(self.cluster.address)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[RayCluster]:
    from ray.cluster_utils import Cluster

    # A short folder of its own: Ray's unix sockets live under RAY_TMPDIR (paths are limited
    # to ~107 bytes), and its ray_current_cluster file must not meet another run's.
    root = Path(tempfile.mkdtemp(prefix="nrc-", dir="/tmp"))
    env = {"RAY_TMPDIR": str(root / "r"), "RAY_AUTH_MODE": "disabled",
           "RAY_worker_niceness": "0",  # Ray's default, 15, would let other work on this machine go first
           "NARRATE_CACHE_DIR": str(root / "cache")}  # the nodes' clip cache, empty
    patch = pytest.MonkeyPatch()
    for name, value in env.items():
        patch.setenv(name, value)  # the nodes' processes inherit this environment
    cluster = None
    try:
        node = {"num_cpus": 1, "object_store_memory": 80 * 1024 * 1024}
        cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
        worker = cluster.add_node(**node)
        cluster.wait_for_nodes()
        patch.undo()  # the tests' own runs use the session's cache again
        yield RayCluster(cluster, worker, {k: v for k, v in env.items() if k.startswith("RAY_")})
    finally:
        patch.undo()
        if cluster is not None:
            cluster.shutdown()  # never `ray stop`: that kills every Ray process of the user
        shutil.rmtree(root, ignore_errors=True)


def cluster_batch(ray: RayCluster, src: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_narrate("batch", str(src), "-o", str(out), "--cluster", ray.address, *extra,
                       env=ray.env, timeout=240)


def start_cluster_batch(ray: RayCluster, src: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "narrate", "batch", str(src), "-o", str(out), "--cluster", ray.address],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env={**os.environ, **ray.env},
        start_new_session=True,
    )


def wait_for_done(proc: subprocess.Popen[str], count: int) -> list[str]:
    """Progress lines until ``count`` articles are done (the driver's stderr, not a tty)."""
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 180
    while sum(" done " in line for line in lines) < count:
        line = proc.stderr.readline()
        assert line and time.monotonic() < deadline, "".join(lines)
        lines.append(line)
    return lines


def rows(out: Path) -> list[dict[str, Any]]:
    return list(json.loads((out / "report.json").read_text())["items"])


def complete(out: Path) -> set[str]:
    """Outputs whose manifest is in place (it is renamed last)."""
    return {p.stem for p in out.glob("*.json") if p.name != "report.json" and "." not in p.stem}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob("*.part"))


def test_cluster_outputs_match_local_batch_and_a_poisoned_article_fails_alone(
        ray_cluster: RayCluster, tmp_path: Path) -> None:
    src = write_archive(tmp_path / "same", "same", poison=True)
    local = run_narrate("batch", str(src), "-o", str(tmp_path / "local"), "--jobs", "2", timeout=240,
                        env={"NARRATE_CACHE_DIR": str(tmp_path / "local-cache")})
    remote = cluster_batch(ray_cluster, src, tmp_path / "remote")
    assert local.returncode == remote.returncode == 1, (local.stderr, remote.stderr)  # the poison
    assert "Traceback" not in remote.stderr
    noise = [line for line in remote.stderr.splitlines() if not re.match(
        r"\[\d+/\d+\] |(done|skipped|failed|hours of audio|wall time|cluster|report:) ", line)]
    assert noise == []  # progress and the table, as a local batch: nothing of Ray's
    # Every article once, with the same status, output name and error, in the same order.
    def key(row: dict[str, Any]) -> tuple[str, str, str, str]:
        return row["source"], Path(row["output"]).name, row["status"], row["error"]

    assert [key(r) for r in rows(tmp_path / "local")] == [key(r) for r in rows(tmp_path / "remote")]
    failed = [r for r in rows(tmp_path / "remote") if r["status"] == "failed"]
    assert [Path(r["source"]).name for r in failed] == ["poison.txt"] and "binary" in failed[0]["error"]
    # Both nodes worked, and the poison cost no actor.
    summary = next(line for line in remote.stderr.splitlines() if line.startswith("cluster"))
    assert "2 nodes" in summary and "none lost" in summary, summary
    shares = [int(n) for n in summary.split("(")[1].split(" articles")[0].split(" + ")]
    assert len(shares) == 2 and sum(shares) == ARTICLES + 1 and min(shares) > 0, summary
    for n in range(1, ARTICLES + 1):
        name = f"same-{n:02d}"
        mine = json.loads((tmp_path / "remote" / f"{name}.json").read_text())
        theirs = json.loads((tmp_path / "local" / f"{name}.json").read_text())
        assert [u["spoken"] for u in mine["utterances"]] == [u["spoken"] for u in theirs["utterances"]]
        a = duration_ms(tmp_path / "remote" / f"{name}.mp3")
        b = duration_ms(tmp_path / "local" / f"{name}.mp3")
        assert a > 5000 and abs(a - b) <= 0.01 * b, (name, a, b)
    assert leftovers(tmp_path / "remote") == []


def narrator_pid(node: Any) -> int:
    """The process of the batch's actor on ``node`` (a child of its raylet)."""
    raylet = node.all_processes["raylet"][0].process.pid
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if command.startswith(b"ray::NodeNarrator") and parent == raylet:
            return int(entry.name)
    raise AssertionError("no NodeNarrator actor on that node")


def test_a_node_killed_mid_batch_loses_nothing(ray_cluster: RayCluster, tmp_path: Path) -> None:
    src = write_archive(tmp_path / "node", "node")
    out = tmp_path / "out"
    proc = start_cluster_batch(ray_cluster, src, out)
    try:
        wait_for_done(proc, 6)
        # Both faults at once: the head node's actor process is killed (the node lives on:
        # a new actor starts there) and the other node dies whole (raylet and workers).
        os.kill(narrator_pid(ray_cluster.cluster.head_node), signal.SIGKILL)
        ray_cluster.cluster.remove_node(ray_cluster.worker, allow_graceful=False)
        _, stderr = proc.communicate(timeout=240)
        print(stderr)  # what a user sees while a node dies (shown when the test fails)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        ray_cluster.worker = ray_cluster.cluster.add_node(num_cpus=1, object_store_memory=80 * 1024 * 1024)
    assert proc.returncode == 0, stderr
    report = rows(out)
    assert len(report) == ARTICLES and {r["status"] for r in report} == {"done"}
    assert len({r["source"] for r in report}) == ARTICLES  # none reported twice
    assert "2 actors lost" in stderr and "tried again" in stderr, stderr
    assert complete(out) == {f"node-{n:02d}" for n in range(1, ARTICLES + 1)}
    assert leftovers(out) == []
    for name in complete(out):  # whole files, each decodes to its full length
        manifest = json.loads((out / f"{name}.json").read_text())
        assert abs(duration_ms(out / f"{name}.mp3") - manifest["audio"]["duration_ms"]) < 100


def test_a_killed_driver_is_resumed_by_running_it_again(ray_cluster: RayCluster, tmp_path: Path) -> None:
    src = write_archive(tmp_path / "driver", "driver")
    out = tmp_path / "out"
    proc = start_cluster_batch(ray_cluster, src, out)
    try:
        wait_for_done(proc, 8)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        assert proc.stderr is not None
        proc.stderr.close()
    # The cluster ends the dead driver's actors; wait until nothing is being written.
    deadline, before = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        now = (complete(out), leftovers(out))
        if now == before:
            break
        before = now
        time.sleep(2)
    made = complete(out)
    assert 8 <= len(made) < ARTICLES
    stamps = {name: (out / f"{name}.mp3").stat().st_mtime_ns for name in made}
    again = cluster_batch(ray_cluster, src, out)
    assert again.returncode == 0, again.stderr
    status = {Path(r["output"]).stem: r["status"] for r in rows(out)}
    assert {n for n, s in status.items() if s == "skipped"} == made  # only the missing were made
    assert sum(s == "done" for s in status.values()) == ARTICLES - len(made)
    assert {name: (out / f"{name}.mp3").stat().st_mtime_ns for name in made} == stamps
    assert len(complete(out)) == ARTICLES and leftovers(out) == []


def test_plain_batch_never_imports_ray(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text(article(1, "plain"), encoding="utf-8")
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print('ray imported' if 'ray' in sys.modules else 'no ray'))\n"
            "from narrate.cli import main\n"
            f"sys.argv = ['narrate', 'batch', {str(src)!r}, '-o', {str(tmp_path / 'out')!r}, '-q']\n"
            "main()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no ray"


def test_a_bad_cluster_address_is_a_usage_error(short_article: Path, tmp_path: Path) -> None:
    result = run_narrate("batch", str(short_article), "-o", str(tmp_path / "out"),
                         "--cluster", "not an address")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "narrate: error: --cluster 'not an address': use local, auto, HOST:PORT or ray://HOST:PORT"]


def test_an_unreachable_cluster_is_one_line_and_writes_nothing(short_article: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_narrate("batch", str(short_article), "-o", str(out), "--cluster", "127.0.0.1:1")
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [
        "narrate: error: cannot reach the Ray cluster at 127.0.0.1:1: Connection refused"]
    assert not out.exists()


@pytest.mark.parametrize(("given", "meant"), [
    ("local", None), ("auto", "auto"), ("ray", "auto"), ("10.0.0.9:6379", "10.0.0.9:6379"),
    ("head.example.org:6379", "head.example.org:6379"), ("ray://head:10001", "ray://head:10001"),
])
def test_what_cluster_addresses_mean(given: str, meant: str | None) -> None:
    from narrate.cluster import parse_address

    assert parse_address(given) == meant


@pytest.mark.parametrize("given", ["", "head", "http://head:6379", "head:port", "a b:1"])
def test_what_is_not_a_cluster_address(given: str) -> None:
    from narrate.cluster import parse_address
    from narrate.errors import UsageError

    with pytest.raises(UsageError):
        parse_address(given)
