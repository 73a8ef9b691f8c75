"""``narrate inspect FILE…``: duration, loudness, tags, chapters and the disclosure
layers of any audio file; a thin shell over narrate.inspection."""

from __future__ import annotations

import json
from pathlib import Path

import click

from narrate.cli_shared import fail, say
from narrate.errors import ConfigError, DisclosureMissing, NarrateError


@click.command("inspect")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="FILE...")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file (a list), for machines.")
@click.option("--require-disclosure", is_flag=True,
              help="Exit 3 unless every file carries every disclosure layer its format can hold "
                   "(spoken, comment, XMP, C2PA), valid.")
@click.option("--trust", "trust", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="PEM",
              help="Root certificate(s) to trust when validating C2PA signers (e.g. keys init's root.pem).")
def inspect(files: tuple[Path, ...], as_json: bool, require_disclosure: bool, trust: Path | None) -> None:
    """Show what an audio file says about itself: duration, loudness, tags, chapters, and
    which disclosure layers it carries — the spoken disclaimer (from a narrate manifest
    beside it), the comment tag, the IPTC digital source type in XMP, and C2PA Content
    Credentials (present / valid / signer / trusted / tampered).

    \b
      narrate inspect output/story.mp3
      narrate inspect audio/*.mp3 --json
      narrate inspect story.mp3 --require-disclosure --trust narrate-keys/root.pem

    Exit status: 0 inspected; 1 a file cannot be read; 3 with --require-disclosure, a
    layer is missing, invalid (tampered) or cannot be checked.
    """
    from narrate.inspection import inspect_file, text_lines

    try:
        anchors = trust.read_text(encoding="utf-8") if trust else None
    except (OSError, UnicodeDecodeError) as exc:
        fail(ConfigError(f"--trust {trust}: cannot read it ({exc})"))
    reports, errors = [], []
    for path in files:
        try:
            reports.append(inspect_file(path, anchors))
        except NarrateError as err:
            errors.append(err)
            say(f"narrate: error: {err}", err=True)
    if as_json:
        say(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        for n, report in enumerate(reports):
            say("\n".join(([""] if n else []) + text_lines(report)))
    if errors:
        raise SystemExit(errors[0].exit_code)
    lacking = [f"{r.path}: {', '.join(layer.name for layer in r.failing)}" for r in reports if r.failing]
    if require_disclosure and lacking:
        fail(DisclosureMissing(f"disclosure missing or invalid: {'; '.join(lacking)}"))
