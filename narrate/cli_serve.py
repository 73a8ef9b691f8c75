"""``narrate serve`` and ``narrate serve keys …``: the command line of the newsroom
service, a thin shell over narrate.service (which alone imports the web stack)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from narrate.cli_shared import fail
from narrate.errors import NarrateError


def _config(config_file: Path | None, **flags: Any) -> Any:
    from narrate.service.config import load_config

    return load_config(config_file, **flags)


def _config_options(func: Any) -> Any:
    func = click.option(
        "--data",
        type=click.Path(file_okay=False, path_type=Path),
        metavar="DIR",
        help="Data folder: database, audio (default ./narrate-data).",
    )(func)
    return click.option(
        "--config",
        "config_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        metavar="FILE",
        help="TOML file with the service's settings (a [serve] table).",
    )(func)


@click.group("serve", invoke_without_command=True)
@_config_options
@click.option("--host", metavar="HOST", help="Address to listen on (default 127.0.0.1; others need a key).")
@click.option("--port", type=click.IntRange(1, 65535), metavar="PORT", help="Port (default 8150).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    metavar="N",
    help="Articles narrated at once (default 2); they share one engine pool.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(0, 64),
    metavar="N",
    help="Engine worker processes (default: one per core).",
)
@click.option("--profile", metavar="NAME", help="Voice profile for requests that name none.")
@click.option(
    "--audio", type=click.Choice(["public", "signed"]), help="Serve audio to anyone, or only by signed URL."
)
@click.option("--base-url", metavar="URL", help="The service's public URL, for links and the feed.")
@click.option(
    "--retry-base",
    "retry_base_s",
    type=click.FloatRange(0.01),
    metavar="SECONDS",
    help="First webhook retry after about this long, doubling after (default 30).",
)
@click.pass_context
def serve(ctx: click.Context, config_file: Path | None, **flags: Any) -> None:
    """Run the newsroom service: an HTTP API that narrates articles a CMS sends.

    \b
      narrate serve keys create --label cms      # an API key (shown once)
      narrate serve --data narrate-data          # http://127.0.0.1:8150/docs
      curl -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \\
           -d '{"text": "Title\\n\\nFirst sentence."}' http://127.0.0.1:8150/v1/articles/a1

    Jobs live in a SQLite database in the data folder: a server stopped at any
    moment resumes them when started again. SIGTERM finishes or re-queues running
    jobs. The README documents every endpoint and the webhook signature.
    """
    if ctx.invoked_subcommand is not None:
        return
    from narrate.service.server import serve as run

    try:
        run(_config(config_file, **flags), lambda line: click.echo(line, err=True))
    except NarrateError as err:
        fail(err)


@serve.group("keys")
def keys() -> None:
    """Manage API keys: every write to the service needs one (stored hashed)."""


@keys.command("create")
@_config_options
@click.option("--label", default="", metavar="TEXT", help="What the key is for (shown by 'keys list').")
@click.option(
    "--webhook", metavar="URL", help="Where this key's jobs are reported (a request can override it)."
)
def keys_create(config_file: Path | None, data: Path | None, label: str, webhook: str | None) -> None:
    """Create an API key and print it with its webhook secret (both shown only once)."""
    from narrate.service.admin import create_key

    try:
        new = create_key(_config(config_file, data=data), label, webhook)
    except NarrateError as err:
        fail(err)
    click.echo(f"key:            {new.token}")
    click.echo(f"webhook secret: {new.secret}")
    click.echo(f"id:             {new.key_id}")


@keys.command("list")
@_config_options
def keys_list(config_file: Path | None, data: Path | None) -> None:
    """List API keys: id, label, webhook URL and whether revoked (never the key itself)."""
    from narrate.service.admin import list_keys

    try:
        found = list_keys(_config(config_file, data=data))
    except NarrateError as err:
        fail(err)
    for key in found:
        state = "revoked" if key["revoked"] else "active"
        click.echo(f"{key['id']}\t{state}\t{key['label'] or '-'}\t{key['webhook_url'] or '-'}")


@keys.command("revoke")
@_config_options
@click.argument("key_id", metavar="ID")
def keys_revoke(config_file: Path | None, data: Path | None, key_id: str) -> None:
    """Revoke the key with this ID: requests with it are refused from now on."""
    from narrate.service.admin import revoke_key

    try:
        revoke_key(_config(config_file, data=data), key_id)
    except NarrateError as err:
        fail(err)
    click.echo(f"revoked {key_id}")
