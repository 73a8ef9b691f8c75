"""``narrate keys init``: a development certificate chain for C2PA signing; a thin shell
over narrate.keys."""

from __future__ import annotations

from pathlib import Path

import click

from narrate.cli_shared import fail, say
from narrate.errors import NarrateError


@click.group("keys")
def keys() -> None:
    """Signing keys for C2PA Content Credentials (see README, "Disclosure")."""


@keys.command("init")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              default=Path("narrate-keys"), show_default=True, metavar="DIR",
              help="Folder to write the certificates and the key into.")
@click.option("--force", is_flag=True, help="Replace development keys already there.")
def init(folder: Path, force: bool) -> None:
    """Make a development certificate chain (root → intermediate → signer, P-256) to try
    signing with. It is UNTRUSTED: files signed with it validate, and read as signed by
    an untrusted signer except where root.pem is added as a trust anchor. Publish with
    a certificate from a C2PA-recognised authority instead.

    \b
      narrate keys init
      narrate article.md --sign-cert narrate-keys/signer-chain.pem --sign-key narrate-keys/signer-key.pem
      narrate inspect output/<name>.mp3 --trust narrate-keys/root.pem
    """
    from narrate.keys import init_keys

    try:
        made = init_keys(folder, force=force)
    except NarrateError as err:
        fail(err)
    say(f"{made.chain}  certificate chain (signer + intermediate): --sign-cert")
    say(f"{made.key}  private key (owner-only): --sign-key")
    say(f"{made.root}  root: a trust anchor for narrate inspect --trust")
    say("These are development keys, UNTRUSTED everywhere else: "
        "sign what you publish with a real certificate.")
