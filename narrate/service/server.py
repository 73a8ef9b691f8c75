"""Run the service: the app under uvicorn on one host and port. uvicorn turns SIGTERM
and Ctrl-C into a graceful shutdown (the app's lifespan stops the job threads, which
finish or re-queue what is running)."""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from typing import IO

from narrate.config import load_profile
from narrate.errors import DependencyError, UsageError
from narrate.service.config import ServiceConfig, is_loopback
from narrate.service.store import Store


def check_binding(config: ServiceConfig) -> int:
    """The number of active keys; binding beyond loopback needs at least one."""
    store = Store(config.database)
    try:
        count = store.key_count()
    finally:
        store.close()
    if count == 0 and not is_loopback(config.host):
        raise UsageError(
            f"--host {config.host} is reachable from other machines: create an API key first "
            "(narrate serve keys create)"
        )
    return count


def hold_data_folder(config: ServiceConfig) -> IO[bytes]:
    """One server per data folder: a second would re-queue the first one's running jobs
    as if it had died. The lock goes with the process, however it ends (kill -9 too)."""
    config.data.mkdir(parents=True, exist_ok=True)
    handle = (config.data / "serve.lock").open("wb")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise UsageError(f"another narrate serve is using {config.data}") from None
    return handle


def serve(config: ServiceConfig, announce: Callable[[str], None]) -> None:
    try:
        import uvicorn

        from narrate.service.app import create_app
    except ModuleNotFoundError as exc:
        raise DependencyError(
            f"narrate serve needs the service extra ({exc.name} is missing): pip install 'narrate[service]'"
        ) from None
    lock = hold_data_folder(config)  # noqa: F841 (held until the process ends)
    key_count = check_binding(config)
    load_profile(config.profile)  # an unknown default profile is an error now, not per request
    app = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=config.host, port=config.port, log_level="warning", access_log=False, lifespan="on"
        )
    )
    announce(f"narrate serve: http://{config.host}:{config.port}/ (API docs at /docs), data in {config.data}")
    if key_count == 0:
        announce("narrate serve: no API key yet — every write needs one: narrate serve keys create")
    server.run()
    if not server.started:
        raise UsageError(f"could not listen on {config.host}:{config.port} (is the port in use?)")
