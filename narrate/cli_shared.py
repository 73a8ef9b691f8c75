"""What every command of the command line shares: the option groups, building Settings
from flags, progress on stderr, and the error boundary (a NarrateError becomes one line
and an exit code)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from narrate.errors import NarrateError

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70


def fail(err: NarrateError) -> None:
    say(f"narrate: error: {err}", err=True)
    sys.exit(err.exit_code)


def say(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """click.echo, except that a reader who went away (``… 2>&1 | head -3``, a closed
    stdout) costs nothing: the work is done and its report written; the stream is pointed
    at /dev/null so nothing more is tried on it, even at exit."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # started with the descriptor closed (``>&-``)
        return
    try:
        click.echo(message, err=err, nl=nl)
        stream.flush()
    except (BrokenPipeError, ValueError):  # ValueError: the stream was closed
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())


def progress_bar(quiet: bool) -> Callable[[str, int, int], None] | None:
    if quiet or sys.stderr is None or not sys.stderr.isatty():
        return None

    def show(stage: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        say(f"\r{stage:<13} [{bar}] {done}/{total}", err=True, nl=False)
        if stage != "synthesising" or done == total:
            say("\r" + " " * 60 + "\r", err=True, nl=False)

    return show


def caption_kinds(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    kinds = tuple(dict.fromkeys(k.strip().lower() for k in value.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in ("vtt", "srt")]
    if unknown or not kinds:
        raise click.BadParameter(f"{value!r}: choose vtt, srt or vtt,srt")
    return kinds


def minutes(ms: float) -> str:
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def voice_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--profile", default="default", show_default=True, metavar="NAME|PATH",
                     help="Voice profile: a name from voices/ or a .toml file."),
        click.option("--engine", metavar="NAME", help="Speech engine (see 'narrate engines')."),
        click.option("--voice", metavar="ID", help="Voice id or name (see 'narrate voices')."),
        click.option("--rate", type=click.IntRange(80, 500), metavar="WPM",
                     help="Speaking rate in words per minute [profile: 175]."),
        click.option("--pitch", type=click.IntRange(0, 100), help="Pitch, 0-100."),
        click.option("--volume", type=click.FloatRange(0.0, 1.0), help="Volume, 0.0-1.0."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def text_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--lexicon", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
                     help="Pronunciation lexicon (.tsv or .toml), over the profile's; repeatable."),
        click.option("--skip-acronym-asides", is_flag=True,
                     help='Don\'t read "(CSTO)" after "Collective Security Treaty Organization".'),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The files written beside each audio (captions, read-along page, EPUB), its cover
    and its signature: the same for one article and for a batch."""
    options = [
        click.option("--captions", metavar="LIST", callback=lambda c, p, v: caption_kinds(v),
                     help="Caption files to write: vtt, srt or 'vtt,srt' (default vtt)."),
        click.option("--word-timings", is_flag=True, default=None,
                     help="Also write <name>.words.vtt: one cue per word, for read-along highlighting."),
        click.option("--player", is_flag=True, default=None,
                     help="Also write <name>.html: a read-along page that highlights each word as it "
                          "is spoken."),
        click.option("--epub", is_flag=True, default=None,
                     help="Also write <name>.epub: an EPUB 3 whose text is synchronised with the audio "
                          "(Media Overlays; mp3 and m4a). 'narrate epub' makes one book of several "
                          "articles."),
        click.option("--cover", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     metavar="IMAGE", help="Cover art (JPEG or PNG) embedded in MP3 and M4A files."),
        click.option("--sign-cert", type=click.Path(dir_okay=False, path_type=Path), metavar="PEM",
                     help="Sign the audio (C2PA Content Credentials) with this certificate chain "
                          "(leaf first)."),
        click.option("--sign-key", type=click.Path(dir_okay=False, path_type=Path), metavar="PEM",
                     help="The private key of --sign-cert (see 'narrate keys init' to try it out)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_settings(**flags: Any) -> Any:
    from narrate.config import load_profile, override

    profile = flags.pop("profile")
    return override(load_profile(profile), **flags)
