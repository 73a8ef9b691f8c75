"""``narrate batch --cluster``: a batch's articles on a Ray cluster. Ray's one home: no
other module imports it, and this one is imported only when ``--cluster`` is given.

One actor per node (``narrate.cluster_node.NodeNarrator``) holds that node's engine
workers, loaded once, and narrates as many articles at once as local batch would on
that node (``--jobs`` per node, default its CPUs). The driver hands out articles one at a
time to nodes with room, streams the rows back into the same Report local batch makes
and reports progress cluster-wide.

Faults: an actor lost with its node (or its process killed) has its articles handed to
another node, each article at most ``MAX_TRIES`` times in all; a node whose actor died
but which is still alive gets a new one (at most ``MAX_STARTS`` per node); nodes that
join mid-run are put to work. Each output is written atomically on the node that made
it, so nothing is half-written and every article is reported once, by the attempt that
finished it. A killed driver loses nothing either: run the same command again and the
up-to-date check skips what is complete.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from narrate import __version__
from narrate.batch import BatchOptions, Item, Report, Row, in_flight
from narrate.cluster_node import Hello, NodeNarrator
from narrate.config import Settings
from narrate.errors import DependencyError, UsageError
from narrate.export.staging import ensure_folder
from narrate.walk import printable

MAX_TRIES = 3  # an article whose actor is lost is tried again (elsewhere), this many tries in all
MAX_STARTS = 3  # actors started on one node (a node whose actor keeps dying is left alone)
SCAN_EVERY_S = 10.0  # how often to look for nodes that joined
NO_NODE_WAIT_S = 60.0  # how long work may wait for any node to be ready before it fails
CONNECT_TIMEOUT_S = 10.0
LOCAL_OBJECT_STORE = 128 * 1024 * 1024  # rows and articles are small: no need for Ray's 30 % of RAM
_ADDRESS = re.compile(r"(?:ray://)?[A-Za-z0-9_.-]+:\d{1,5}")


@dataclass
class ClusterStats:
    nodes: int = 0  # nodes whose actor started and said hello
    lost: int = 0  # actors lost (their node died, or their process)
    retried: int = 0  # articles handed to another node after their actor was lost
    articles: dict[str, int] = field(default_factory=dict)  # node id → articles it finished
    cpu_s: float = 0.0  # CPU time the actors that finished spent (with their workers, encoders)

    def summary(self) -> str:
        shares = " + ".join(str(n) for n in sorted(self.articles.values(), reverse=True))
        nodes = f"{self.nodes} node{'' if self.nodes == 1 else 's'} ({shares or 0} articles)"
        cpu = f"; {self.cpu_s:.0f} CPU-s on the nodes" if self.cpu_s else ""
        if not self.lost:
            return f"{nodes}, none lost{cpu}"
        return (f"{nodes}; {self.lost} actor{'' if self.lost == 1 else 's'} lost, {self.retried} article"
                f"{'' if self.retried == 1 else 's'} tried again{cpu}")


def parse_address(value: str) -> str | None:
    """``--cluster`` → what ray.init takes: None starts a local cluster (``local``);
    ``auto`` (or ``ray``) joins the cluster this machine belongs to; ``HOST:PORT`` joins
    that head node; ``ray://HOST:PORT`` goes through Ray Client."""
    value = value.strip()
    if value == "local":
        return None
    if value in ("auto", "ray"):
        return "auto"
    if _ADDRESS.fullmatch(value):
        return value
    raise UsageError(f"--cluster {printable(value)!r}: use local, auto, HOST:PORT or ray://HOST:PORT")


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise DependencyError("--cluster needs Ray: pip install 'narrate[cluster]'") from None
    return ray


@contextlib.contextmanager
def connected(address: str | None) -> Iterator[Any]:
    """Ray, connected to the cluster at ``address`` (None: a new one on this machine, gone
    at the end), quietly: Ray's notices about dead nodes go to its logs, not our stdout
    (NARRATE_DEBUG=1 shows them and the workers' output)."""
    ray = _ray()
    if address not in (None, "auto"):
        _reachable(address)
    debug = bool(os.environ.get("NARRATE_DEBUG"))
    options: dict[str, Any] = {"logging_level": logging.DEBUG if debug else logging.ERROR,
                               "log_to_driver": debug}
    if address is None:  # "local" makes a new cluster even where one runs already
        options |= {"address": "local", "include_dashboard": False, "object_store_memory": LOCAL_OBJECT_STORE}
        # Ray lowers its workers' priority (nice 15) by default; on this machine the batch
        # should run at the priority it was started with, as a local batch does.
        os.environ.setdefault("RAY_worker_niceness", "0")
    else:
        options["address"] = address
    with contextlib.ExitStack() as stack:
        if not debug:  # the driver prints "(raylet) …" notices on stdout from a thread of its own
            stack.enter_context(contextlib.redirect_stdout(stack.enter_context(open(os.devnull, "w"))))
        try:
            ray.init(**options)
        except ImportError as exc:  # ray:// without Ray Client's grpcio
            raise DependencyError(f"--cluster {address}: {exc} (pip install 'ray[client]')") from None
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
            where = "start a local Ray cluster" if address is None else f"reach the Ray cluster at {address}"
            raise DependencyError(f"cannot {where}: {_first_line(exc)}") from None
        stack.callback(ray.shutdown)
        yield ray


def _reachable(address: str) -> None:
    """Fail in seconds when nothing listens at ``address`` (Ray itself retries for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise DependencyError(f"cannot reach the Ray cluster at {address}: "
                              f"{exc.strerror or 'no answer'}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return printable(text[0]) if text else type(exc).__name__


@dataclass
class _Actor:
    node: str
    handle: Any
    capacity: int
    hello: Any  # the hello's ObjectRef until it answered, then None
    busy: int = 0


class _Fleet:
    """The batch's actors, one per live node with a CPU."""

    def __init__(self, ray: Any, settings: Settings, options: BatchOptions, jobs: int | None,
                 out_dir: Path, stats: ClusterStats) -> None:
        self.ray = ray
        self.settings = settings
        self.options = options
        self.jobs = jobs
        self.out_dir = out_dir
        self.stats = stats
        self.actors: dict[str, _Actor] = {}
        self.starts: dict[str, int] = {}
        self._remote = ray.remote(NodeNarrator)
        self.scanned = 0.0
        self.failure = ""  # why the last actor could not start, if one could not
        self.greeted_nodes: set[str] = set()

    def scan(self) -> int:
        """An actor for every live node that has none (and has not used up its starts);
        how many nodes have or may still get one."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        self.scanned = time.monotonic()
        usable = 0
        for node in self.ray.nodes():
            node_id, cpus = node["NodeID"], int(node.get("Resources", {}).get("CPU", 0))
            if not node.get("Alive") or cpus < 1:
                continue
            if node_id in self.actors:
                usable += 1
                continue
            if self.starts.get(node_id, 0) >= MAX_STARTS:
                continue
            usable += 1
            self.starts[node_id] = self.starts.get(node_id, 0) + 1
            jobs = self.jobs or cpus
            handle = self._remote.options(
                num_cpus=min(jobs, cpus), max_concurrency=in_flight(jobs), max_restarts=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
            ).remote(replace(self.settings, jobs=jobs), self.options, __version__, os.getcwd(),
                     str(self.out_dir))
            self.actors[node_id] = _Actor(node_id, handle, in_flight(jobs), handle.hello.remote())
        return usable

    def greeted(self, actor: _Actor, hello: Hello) -> None:
        if hello.error:
            raise DependencyError(hello.error)
        actor.hello = None
        self.greeted_nodes.add(actor.node)  # a replacement actor is the same node
        self.stats.nodes = len(self.greeted_nodes)

    def lose(self, actor: _Actor) -> None:
        """The actor died (or cannot be reached): it is killed for good and forgotten."""
        if self.actors.get(actor.node) is not actor:
            return  # already counted
        del self.actors[actor.node]
        if actor.hello is None:  # it had started: a loss (a start that failed is not one)
            self.stats.lost += 1
        self.scanned = 0.0  # look for a node to replace it on at once
        with contextlib.suppress(Exception):
            self.ray.kill(actor.handle, no_restart=True)

    def free(self) -> Iterator[_Actor]:
        for actor in list(self.actors.values()):
            while actor.hello is None and actor.busy < actor.capacity and actor.node in self.actors:
                yield actor

    def close(self) -> None:
        """Stop every actor's engine workers; add up the CPU time the actors report."""
        closing = [a.handle.close.remote() for a in self.actors.values() if a.hello is None]
        with contextlib.suppress(Exception):
            done, _ = self.ray.wait(closing, num_returns=len(closing), timeout=15)
            self.stats.cpu_s = sum(self.ray.get(done))


def run_batch(items: list[Item], settings: Settings, out_dir: Path, options: BatchOptions, *,
              address: str | None, jobs_per_node: int | None = None,
              progress: Callable[[Row, Report], None] | None = None) -> tuple[Report, ClusterStats]:
    """Narrate every item on the cluster at ``address`` (see ``parse_address``): the same
    Report as ``narrate.batch.run_batch``, and what the cluster went through."""
    started = time.monotonic()  # the wall time includes joining (or starting) the cluster
    stats = ClusterStats()
    with connected(address) as ray:
        ensure_folder(out_dir)
        fleet = _Fleet(ray, settings, options, jobs_per_node, out_dir, stats)
        report = _Driver(ray, fleet, items, options, progress, started).run()
        fleet.close()  # interrupted or failing, shutting Ray down ends the actors instead
    return report, stats


class _Driver:
    """Hands articles to actors with room and records each one's row once."""

    def __init__(self, ray: Any, fleet: _Fleet, items: list[Item], options: BatchOptions,
                 progress: Callable[[Row, Report], None] | None, started: float) -> None:
        self.ray = ray
        self.fleet = fleet
        self.items = items
        self.options = options
        self.progress = progress
        self.report = Report([Row(i.label, str(i.dest)) for i in items])
        self.queue: deque[int] = deque(range(len(items)))
        self.tries = [0] * len(items)
        self.work: dict[Any, tuple[int, _Actor]] = {}
        self.stopped = False
        self.started = started

    def run(self) -> Report:
        from ray.exceptions import RayError

        self.fleet.scan()
        idle_since = time.monotonic()
        while self.work or (self.queue and not self.stopped):
            self._dispatch()
            hellos = {a.hello: a for a in self.fleet.actors.values() if a.hello is not None}
            waiting = [*self.work, *hellos]
            if not waiting:  # no node to work on: wait for one to join, for a while
                usable = self.fleet.scan()
                if not usable and not self.fleet.stats.nodes and self.fleet.failure:
                    raise DependencyError(f"no node of the cluster could start narrate: {self.fleet.failure}")
                if not usable and time.monotonic() - idle_since > NO_NODE_WAIT_S:
                    self._give_up()
                    break
                time.sleep(1.0)
                continue
            idle_since = time.monotonic()
            ready, _ = self.ray.wait(waiting, num_returns=1, timeout=1.0)
            for ref in ready:
                if ref in hellos:
                    self._greet(hellos[ref], ref, RayError)
                else:
                    self._finish(ref, RayError)
            if time.monotonic() - self.fleet.scanned > SCAN_EVERY_S:
                self.fleet.scan()
        self.report.wall_s = time.monotonic() - self.started
        for row in self.report.rows:
            if row.status == "pending":
                row.status, row.error = "not run", "stopped by --fail-fast"
        return self.report

    def _dispatch(self) -> None:
        if self.stopped:
            return
        for actor in self.fleet.free():
            if not self.queue:
                return
            index = self.queue.popleft()
            try:
                ref = actor.handle.narrate.remote(self.items[index])
            except Exception as exc:  # e.g. an article that cannot be sent (not picklable)
                self._record(index, Row(self.items[index].label, str(self.items[index].dest), "failed",
                                        error=f"cannot send it to the cluster: {_first_line(exc)}"))
                continue
            actor.busy += 1
            self.tries[index] += 1
            self.work[ref] = (index, actor)

    def _greet(self, actor: _Actor, ref: Any, errors: type[Exception]) -> None:
        try:
            hello = self.ray.get(ref)
        except errors as exc:  # it could not start (or its node died): a later scan may retry
            self.fleet.failure = _first_line(exc)[:300]
            self.fleet.lose(actor)
            return
        self.fleet.greeted(actor, hello)

    def _finish(self, ref: Any, errors: type[Exception]) -> None:
        from ray.exceptions import RayTaskError

        index, actor = self.work.pop(ref)
        actor.busy -= 1
        item = self.items[index]
        try:
            row: Row = self.ray.get(ref)
        except RayTaskError as exc:  # escaped narrate_one: this article's own failure
            row = Row(item.label, str(item.dest), "failed", error=f"internal error: {_first_line(exc)}")
        except errors:  # the actor or its node is gone: the article goes to another node
            self.fleet.lose(actor)
            if self.tries[index] < MAX_TRIES:
                self.fleet.stats.retried += 1
                self.queue.appendleft(index)
                return
            row = Row(item.label, str(item.dest), "failed",
                      error=f"the node narrating it was lost {MAX_TRIES} times; run again")
        else:
            shares = self.fleet.stats.articles
            shares[actor.node] = shares.get(actor.node, 0) + 1
        self._record(index, row)

    def _record(self, index: int, row: Row) -> None:
        self.report.rows[index] = row
        self.report.wall_s = time.monotonic() - self.started
        if row.status == "failed" and self.options.fail_fast:
            self.stopped = True
        if self.progress:
            try:
                self.progress(row, self.report)
            except Exception:  # whoever watched went away: the work and its report go on
                self.progress = None

    def _give_up(self) -> None:
        for index in self.queue:
            item = self.items[index]
            self._record(index, Row(item.label, str(item.dest), "failed",
                                    error="no node of the cluster could take it; run again"))
        self.queue.clear()
