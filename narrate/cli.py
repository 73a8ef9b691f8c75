"""The command line: a thin shell over the library. With cli_shared.py (options and
the error boundary every command shares) and cli_archive.py (batch and feed), the only
modules that import click.

Every command parses options, builds a Settings value, calls one library function and
turns a NarrateError into one line on stderr and an exit code (1 for failures, 2 for
usage). ``narrate ARTICLE`` is short for ``narrate speak ARTICLE``.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from narrate import __version__, interrupts
from narrate.cli_archive import batch, feed
from narrate.cli_epub import epub
from narrate.cli_inspect import inspect
from narrate.cli_keys import keys
from narrate.cli_serve import serve
from narrate.cli_shared import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    build_settings,
    fail,
    minutes,
    output_options,
    progress_bar,
    say,
    text_options,
    voice_options,
)
from narrate.errors import NarrateError
from narrate.walk import printable

DEFAULT_COMMAND = "speak"


class DefaultGroup(click.Group):
    """A group whose first argument, when it is not a command, goes to ``speak``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="narrate")
def cli() -> None:
    """Turn news articles into narrated audio, offline.

    \b
      narrate article.txt                   # → output/<title>.mp3 (+ .vtt, .json)
      narrate page.html -o news/story.mp3   # text, Markdown or an HTML page
      cat article.txt | narrate - -o story.mp3
      narrate script article.txt            # preview what will be said
      narrate check article.txt             # names the voice may get wrong
      narrate voices                        # voices the engine offers
      narrate batch archive/ -o audio/      # a whole archive, resumably
      narrate feed audio/ --base-url URL    # a podcast feed of what's in audio/
      narrate article.md --player           # + a read-along page (words highlighted)
      narrate epub a.md b.md -o book.epub   # an EPUB 3 read aloud (Media Overlays)

    \b
    Every narration opens with a spoken AI-voice disclaimer
    (unless --no-disclaimer). `narrate COMMAND --help` explains each command.
    """


@cli.command(DEFAULT_COMMAND)
@click.argument("source", metavar="ARTICLE")
@click.option("-o", "--output", metavar="PATH",
              help="Audio file to write, or a folder (ending in /). Default: output/<slug-of-title>.mp3")
@voice_options
@text_options
@click.option("--disclaimer-clip", type=click.Path(path_type=Path), metavar="FILE",
              help="Open with this recording (any format ffmpeg reads) instead of the spoken disclaimer.")
@click.option("--disclaimer-text", metavar="TEXT", help="Words of the spoken disclaimer.")
@click.option("--no-disclaimer", is_flag=True, help="Leave the AI-voice disclaimer out.")
@click.option("--format", "format_", metavar="FMT",
              help="mp3, m4a, ogg, opus, wav or flac (default: from -o's extension, else mp3).")
@click.option("--bitrate", metavar="RATE", help="Encoder bitrate, e.g. 96k (default 96k).")
@click.option("--sample-rate", type=click.IntRange(8000, 96000), metavar="HZ",
              help="Output sample rate (default 44100).")
@click.option("--loudness", type=click.FloatRange(-40, -5), metavar="LUFS",
              help="Integrated loudness target (default -16; true peak stays under -1 dBTP).")
@output_options
@click.option("-j", "--jobs", type=click.IntRange(0, 64), metavar="N",
              help="Synthesis worker processes (default: one per core; 0: in this process).")
@click.option("--no-cache", is_flag=True, help="Synthesise every sentence again; don't use the clip cache.")
@click.option("-f", "--force", is_flag=True,
              help="Re-make the output even when it is up to date with the same article and settings.")
@click.option("--keep-boilerplate", is_flag=True,
              help="Read scraped boilerplate (player labels, author boxes) too.")
@click.option("--encoding", default="utf-8", show_default=True, metavar="NAME|auto",
              help="Text encoding of the article: a codec name, or auto to detect a legacy one.")
@click.option("-q", "--quiet", is_flag=True, help="No progress, print only the output path.")
def speak(source: str, output: str | None, quiet: bool, no_cache: bool, keep_boilerplate: bool,
          force: bool, format_: str | None, encoding: str, **flags: Any) -> None:
    """Narrate ARTICLE (a .txt, .md or .html file, or - for stdin) to an audio file.

    Writes the audio, WebVTT captions (.vtt) and a manifest (.json) side by side.
    Files are written under temporary names and renamed when complete: an
    interrupted run leaves nothing half-written, and can simply be run again.
    An existing output file is replaced.
    """
    from narrate.pipeline import narrate_file

    try:
        settings = build_settings(format=format_, cache=False if no_cache else None, **flags)
        result = narrate_file(source, settings, output, progress=progress_bar(quiet),
                              keep_boilerplate=keep_boilerplate, force=force, encoding=encoding)
    except NarrateError as err:
        fail(err)
    for note in result.notes:
        say(f"narrate: note: {note}", err=True)
    if quiet:
        say(str(result.audio))
    elif result.skipped:
        say(f"{result.audio}  {minutes(result.duration_ms)}  (up to date; --force re-makes it)")
    else:
        say(f"{result.audio}  {minutes(result.duration_ms)}  "
            f"({result.utterances} utterances, {result.synthesized} synthesised, "
            f"{result.from_cache} from cache, "
            f"{result.pieces[0]} of {result.pieces[1]} pieces encoded)")


@cli.command()
@click.argument("source", metavar="ARTICLE")
@click.option("--raw", is_flag=True, help="The sentences as written, before normalisation.")
@click.option("--explain", is_flag=True,
              help="Also show what was dropped as boilerplate and why, each sentence as written, "
                   "and each rule that rewrote a token (4K → 4 K  [numbers: letters and digits apart]).")
@click.option("--keep-boilerplate", is_flag=True, help="Keep scraped boilerplate.")
@click.option("--encoding", default="utf-8", show_default=True, metavar="NAME|auto",
              help="Text encoding of the article.")
@click.option("--profile", default="default", show_default=True, metavar="NAME|PATH",
              help="Voice profile (its lexicons and utterance length apply).")
@text_options
def script(source: str, raw: bool, explain: bool, keep_boilerplate: bool, encoding: str, profile: str,
           **flags: Any) -> None:
    """Print what would be said: one utterance per line (ARTICLE may be -).

    \b
      narrate script article.txt             # the spoken text
      narrate script --raw article.txt       # the sentences as written
      narrate script --explain page.html     # and what was dropped, and why
    """
    from narrate.pipeline import load_document, script_for
    from narrate.script import rewrites

    try:
        settings = build_settings(profile=profile, **flags)
        doc = load_document(source, keep_boilerplate, encoding)
        result = script_for(doc, settings)
    except NarrateError as err:
        fail(err)
    if explain:
        for text, reason in doc.dropped:
            click.echo(f"# dropped ({reason}): {' '.join(text.split())[:160]}")
    for utterance in result.article:
        if explain:
            click.echo(f"# {utterance.kind}: {utterance.written}")
            for rule, written, said in rewrites(utterance.written, settings, utterance.kind == "title"):
                click.echo(f"#   {written} → {said}  [{rule}]")
        click.echo(utterance.written if raw else utterance.spoken)


@cli.command()
@click.argument("source", metavar="ARTICLE")
@click.option("--encoding", default="utf-8", show_default=True, metavar="NAME|auto",
              help="Text encoding of the article.")
@click.option("--profile", default="default", show_default=True, metavar="NAME|PATH",
              help="Voice profile (its lexicons and voice apply).")
@text_options
def check(source: str, encoding: str, profile: str, **flags: Any) -> None:
    """List what the voice is likely to mispronounce, with lexicon entries to fix it.

    Names and long words espeak-ng reads by rule rather than from its dictionary,
    and anything the text front end left unread. Each line gives where it is and a
    suggested lexicon line (the word and espeak-ng's phonemes, ready to edit):

    \b
      narrate check article.txt > fixes.tsv   # edit, then:
      narrate article.txt --lexicon fixes.tsv
    """
    from narrate.check import check as find
    from narrate.check import espeak_voice_for
    from narrate.ingest import read_bytes
    from narrate.ingest.decode import decode
    from narrate.pipeline import load_document, script_for
    from narrate.script import lexicon_for

    try:
        settings = build_settings(profile=profile, **flags)
        doc = load_document(source, encoding=encoding)
        text = decode(read_bytes(source), source, encoding)[0] if source != "-" else ""
        found = find(script_for(doc, settings), text, known=[w for w, _ in lexicon_for(settings).entries],
                     voice=espeak_voice_for(settings.engine, settings.voice))
    except NarrateError as err:
        fail(err)
    if not found:
        click.echo("# nothing likely to be mispronounced")
    for item in found:
        click.echo(f"# line {item.line}: {item.word} — {item.reason}")
        if item.suggestion:
            click.echo(item.suggestion)


@cli.command()
@click.option("--engine", default=None, metavar="NAME", help="Engine to ask (default: the profile's).")
@click.option("--profile", default="default", show_default=True, metavar="NAME|PATH")
@click.option("--language", "-l", metavar="CODE", help="Only voices for this language, e.g. en.")
def voices(engine: str | None, profile: str, language: str | None) -> None:
    """List the voices an engine offers: id, name, languages (and, for Piper voices,
    quality, sample rate, speakers and licence).

    \b
      narrate voices --engine piper          # the installed neural voices
      narrate article.txt --engine piper --voice joe
    """
    from narrate.config import load_profile
    from narrate.engines.base import canonical_name, engine_class

    try:
        settings = load_profile(profile)
        voice = settings.voice
        if engine and canonical_name(engine) != settings.engine:  # the profile's voice is its engine's
            voice = replace(voice, voice=None)
        cls = engine_class(engine or settings.engine)
        listing = getattr(cls, "installed_voices", None)
        if callable(listing):  # voices found without loading a model
            found = listing()
        else:
            loaded = cls.load(voice)
            found = loaded.voices()
            loaded.close()
    except NarrateError as err:
        fail(err)
    for v in found:
        if language and not any(lang.startswith(language) for lang in v.languages):
            continue
        line = f"{v.id:<24} {v.name:<32} {','.join(v.languages)}"
        if v.sample_rate:
            speakers = f"{v.speakers} speaker{'s' if v.speakers != 1 else ''}"
            line = (f"{line:<64} {v.quality or '-':<8} {v.sample_rate:>6} Hz  {speakers}  "
                    f"{v.licence or 'licence not stated'}")
        click.echo(line.rstrip())


@cli.command()
def engines() -> None:
    """List the speech engines: name, whether it can run here (or why not), version."""
    from narrate.engines.base import VoiceSettings, engine_class, engine_names

    for name in engine_names():
        try:
            state, detail = "available", engine_class(name).identity(VoiceSettings())
        except NarrateError as err:
            state, detail = "unavailable", str(err)
        except Exception as err:  # a broken third-party plugin must not hide the others
            state, detail = "broken", f"{type(err).__name__}: {err}"
        click.echo(f"{name:<10} {state:<12} {detail}")


@cli.group()
def cache() -> None:
    """The cache: one verified clip per spoken sentence and voice, and the encoded
    pieces of recent narrations.

    It lives in $NARRATE_CACHE_DIR, else $XDG_CACHE_HOME/narrate (~/.cache/narrate).
    Editing one sentence of an article re-synthesises only that sentence and
    re-encodes only the minute of audio around it.
    """


@cache.command("info")
def cache_info() -> None:
    """Where the cache is and how much it holds."""
    from narrate.cache import ClipCache, default_cache_dir

    root = default_cache_dir()
    cache = ClipCache(root)
    clips, pieces, (_, size) = cache.info("clips")[0], cache.info("pieces")[0], cache.info()
    click.echo(f"{root}  {clips} clips, {pieces} encoded pieces, {size / 1_000_000:.1f} MB")


@cache.command("clear")
def cache_clear() -> None:
    """Delete every cached clip (they are re-made when needed)."""
    from narrate.cache import ClipCache, default_cache_dir

    root = default_cache_dir()
    removed = ClipCache(root).clear()
    click.echo(f"{root}  removed {removed} entries")


def _forget_the_interrupt() -> None:
    """CPython remembers a KeyboardInterrupt that ended a string ``exec`` (dataclasses
    build their methods with one, so a Ctrl-C while a module is imported can land there)
    and, under ``python -m``, kills itself with SIGINT at exit although the interrupt was
    handled: exit status -2, not 130. A string exec that completes clears the flag."""
    exec("", {})


cli.add_command(feed)
cli.add_command(batch)
cli.add_command(serve)
cli.add_command(inspect)
cli.add_command(keys)
cli.add_command(epub)


def main() -> None:
    """Console entry point: no traceback ever reaches the user."""
    if sys.argv[1:2] != ["serve"]:  # the service stops gracefully on SIGTERM itself (uvicorn)
        for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # all stop a run cleanly
            signal.signal(stop, interrupts.request)
    try:
        code = cli.main(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("narrate: interrupted; nothing was written (run the command again)", err=True)
        _forget_the_interrupt()
        sys.exit(EXIT_INTERRUPTED)
    except OSError as exc:  # the system said no (open files, permissions): not our bug
        detail = exc.strerror or str(exc)
        where = f": {printable(str(exc.filename))}" if exc.filename else ""
        hint = " (the limit of open files is too low: ulimit -n)" if exc.errno == errno.EMFILE else ""
        say(f"narrate: error: {detail}{where}{hint}", err=True)
        from narrate.worker_pool import kill_strays

        kill_strays()  # a worker whose pool failed while starting it would block the exit
        sys.exit(1)
    except Exception as exc:  # a bug: say so in one line, keep the detail for debugging
        if os.environ.get("NARRATE_DEBUG"):
            raise
        click.echo(f"narrate: internal error: {type(exc).__name__}: {exc} "
                   "(set NARRATE_DEBUG=1 to see the traceback)", err=True)
        sys.exit(EXIT_INTERNAL)
