"""The command line: a thin shell over the library. The only module that imports click.

Every command parses options, builds a Settings value, calls one library function and
turns a NarrateError into one line on stderr and an exit code (1 for failures, 2 for
usage). ``narrate ARTICLE`` is short for ``narrate speak ARTICLE``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from narrate import __version__
from narrate.errors import NarrateError, UsageError

DEFAULT_COMMAND = "speak"
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70


class DefaultGroup(click.Group):
    """A group whose first argument, when it is not a command, goes to ``speak``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


def _fail(err: NarrateError) -> None:
    click.echo(f"narrate: error: {err}", err=True)
    sys.exit(err.exit_code)


def _progress(quiet: bool) -> Callable[[str, int, int], None] | None:
    if quiet or not sys.stderr.isatty():
        return None

    def show(stage: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        click.echo(f"\r{stage:<13} [{bar}] {done}/{total}", err=True, nl=False)
        if stage != "synthesising" or done == total:
            click.echo("\r" + " " * 60 + "\r", err=True, nl=False)

    return show


def _caption_kinds(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    kinds = tuple(dict.fromkeys(k.strip().lower() for k in value.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in ("vtt", "srt")]
    if unknown or not kinds:
        raise click.BadParameter(f"{value!r}: choose vtt, srt or vtt,srt")
    return kinds


def _minutes(ms: float) -> str:
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


def build_settings(**flags: Any) -> Any:
    from narrate.config import load_profile, override

    profile = flags.pop("profile")
    return override(load_profile(profile), **flags)


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
@click.option("--captions", metavar="LIST", callback=lambda c, p, v: _caption_kinds(v),
              help="Caption files to write: vtt, srt or 'vtt,srt' (default vtt).")
@click.option("--word-timings", is_flag=True, default=None,
              help="Also write <name>.words.vtt: one cue per word, for read-along highlighting.")
@click.option("--cover", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="IMAGE",
              help="Cover art (JPEG or PNG) embedded in MP3 and M4A files.")
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
        result = narrate_file(source, settings, output, progress=_progress(quiet),
                              keep_boilerplate=keep_boilerplate, force=force, encoding=encoding)
    except NarrateError as err:
        _fail(err)
    if quiet:
        click.echo(str(result.audio))
    elif result.skipped:
        click.echo(f"{result.audio}  {_minutes(result.duration_ms)}  (up to date; --force re-makes it)")
    else:
        click.echo(f"{result.audio}  {_minutes(result.duration_ms)}  "
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
        _fail(err)
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
    from narrate.ingest import read_bytes
    from narrate.ingest.decode import decode
    from narrate.pipeline import load_document, script_for
    from narrate.script import lexicon_for

    try:
        settings = build_settings(profile=profile, **flags)
        doc = load_document(source, encoding=encoding)
        text = decode(read_bytes(source), source, encoding)[0] if source != "-" else ""
        found = find(script_for(doc, settings), text, known=[w for w, _ in lexicon_for(settings).entries],
                     voice=settings.voice.voice or "en-us")
    except NarrateError as err:
        _fail(err)
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
    """List the voices an engine offers: id, name, languages."""
    from narrate.config import load_profile
    from narrate.engines.base import engine_class

    try:
        settings = load_profile(profile)
        voice = settings.voice
        if engine and engine != settings.engine:  # the profile's voice belongs to its own engine
            voice = replace(voice, voice=None)
        loaded = engine_class(engine or settings.engine).load(voice)
        found = loaded.voices()
        loaded.close()
    except NarrateError as err:
        _fail(err)
    for v in found:
        if language and not any(lang.startswith(language) for lang in v.languages):
            continue
        click.echo(f"{v.id:<24} {v.name:<32} {','.join(v.languages)}")


@cli.command()
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--base-url", metavar="URL",
              help="Where DIR is published, e.g. https://example.org/podcast/ [feed.toml: base_url].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Feed file to write. Default: DIR/feed.xml")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Only the N newest articles.")
@click.option("--title", metavar="TEXT", help="Show title [feed.toml: title].")
@click.option("--description", metavar="TEXT", help="Show description [feed.toml: description].")
@click.option("--author", metavar="NAME", help="Show author [feed.toml: author].")
@click.option("--email", metavar="ADDRESS",
              help="Owner e-mail, which directories use to verify you [feed.toml: email].")
@click.option("--image", metavar="URL",
              help="Artwork, .jpg or .png, 1400-3000 px square: a URL or a path under the base URL "
                   "[feed.toml: image].")
@click.option("--link", metavar="URL", help="The show's web page (default: the base URL) [feed.toml: link].")
@click.option("--language", metavar="CODE",
              help="Language, e.g. en or en-GB (default en) [feed.toml: language].")
@click.option("--category", metavar="NAME",
              help='Apple Podcasts category, e.g. "News/Daily News" (default News) [feed.toml: category].')
@click.option("--explicit/--not-explicit", default=None,
              help="Mark the show explicit (default: not) [feed.toml: explicit].")
def feed(folder: Path, base_url: str | None, output: Path | None, limit: int | None, **channel: Any) -> None:
    """Build a podcast feed from the narrations under DIR.

    \b
      narrate feed output/ --base-url https://example.org/news/ \\
          --title "The Daily, read aloud" --description "..." --image cover.jpg

    One item per narrated article (its manifest), newest first: the audio as the
    enclosure, the captions as podcast:transcript, the chapters as podcast:chapters.
    Settings not given as flags are read from DIR/feed.toml. Each item's GUID comes
    from the article, so re-running after narrating more articles only adds items.
    """
    from narrate.feed import load_channel, publish_feed

    try:
        settings = load_channel(folder, **channel)
        result = publish_feed(folder, output or folder / "feed.xml", settings, base_url=base_url, limit=limit)
    except NarrateError as err:
        _fail(err)
    click.echo(f"{result.path}  ({result.episodes} episode{'' if result.episodes == 1 else 's'})")


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


@cli.command()
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Folder for the audio (mirrors the input folders) and report.json.")
@click.option("--from-list", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="A file with one input (file, folder or glob) per line.")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.jsonl",
              help="JSON Lines: one article per line with id and text, html or path "
                   "(plus title, author, date, url, publication).")
@voice_options
@text_options
@click.option("--format", "format_", metavar="FMT", help="mp3 (default), m4a, ogg, opus, wav or flac.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), metavar="N",
              help="Articles and engine workers at once (default: one per core).")
@click.option("-f", "--force", is_flag=True, help="Re-make outputs that are up to date.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first article that fails.")
@click.option("--report-csv", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the report as CSV.")
@click.option("--keep-boilerplate", is_flag=True, help="Read scraped boilerplate too.")
@click.option("--no-cache", is_flag=True, help="Don't use the sentence cache.")
@click.option("-q", "--quiet", is_flag=True, help="No progress; only the summary.")
def batch(inputs: tuple[str, ...], out_dir: Path, from_list: Path | None, manifest: Path | None,
          format_: str | None, jobs: int | None, force: bool, fail_fast: bool, report_csv: Path | None,
          keep_boilerplate: bool, no_cache: bool, quiet: bool, **flags: Any) -> None:
    """Narrate many articles into DIR: files, folders (.txt .md .html, recursively),
    globs, a list file or a JSON Lines manifest.

    \b
      narrate batch archive/ -o audio/
      narrate batch 'feeds/**/*.html' --from-list extra.txt -o audio/ --jobs 2
      narrate batch --manifest articles.jsonl -o audio/ --report-csv audio/report.csv

    Re-running skips every article whose audio is up to date, so a killed run simply
    continues. A failing article never stops the others. Exit status: 0 all done or
    skipped, 1 some failed, 2 usage errors.
    """
    from narrate import batch as archive
    from narrate.config import default_jobs

    try:
        settings = build_settings(format=format_, cache=False if no_cache else None, jobs=jobs, **flags)
        if not inputs and from_list is None and manifest is None:
            raise UsageError("give articles to narrate: INPUT..., --from-list or --manifest")
        items = archive.collect(inputs, out_dir, archive.suffix_for(settings),
                                from_list=from_list, manifest=manifest)
        options = archive.BatchOptions(jobs=jobs or default_jobs(), force=force,
                                       fail_fast=fail_fast, keep_boilerplate=keep_boilerplate)
        report = archive.run_batch(items, settings, out_dir, options, _batch_progress(quiet, len(items)))
        path = archive.write_report(report, out_dir, report_csv)
    except NarrateError as err:
        _fail(err)
    click.echo(_batch_table(report), err=True)
    click.echo(f"report: {path}", err=True)
    sys.exit(1 if report.count("failed") else 0)


def _batch_progress(quiet: bool, total: int) -> Callable[[Any, Any], None] | None:
    if quiet:
        return None
    tty = sys.stderr.isatty()
    started = time.monotonic()

    def show(row: Any, report: Any) -> None:
        finished = sum(1 for r in report.rows if r.status != "pending")
        if not tty:
            length = _minutes(row.duration_s * 1000)
            detail = row.error if row.status == "failed" else f"{row.output} ({length})"
            click.echo(f"[{finished}/{total}] {row.status:<7} {row.source}: {detail}", err=True)
            return
        elapsed = time.monotonic() - started
        eta = elapsed / finished * (total - finished) if finished else 0
        width = 24
        bar = "#" * (width * finished // total) + "-" * (width - width * finished // total)
        click.echo(f"\r[{bar}] {finished}/{total} articles · {report.audio_hours:.2f} h audio · "
                   f"{report.count('failed')} failed · ETA {_minutes(eta * 1000)}  ", err=True, nl=False)
        if finished == total:
            click.echo(err=True)

    return show


def _batch_table(report: Any) -> str:
    rows = [("done", report.count("done")), ("skipped (up to date)", report.count("skipped")),
            ("failed", report.count("failed"))]
    if report.count("not run"):
        rows.append(("not run (--fail-fast)", report.count("not run")))
    rows += [("hours of audio", f"{report.audio_hours:.2f}"), ("wall time", f"{report.wall_s:.1f} s")]
    return "\n".join(f"{name:<22} {value}" for name, value in rows)


def _forget_the_interrupt() -> None:
    """CPython remembers a KeyboardInterrupt that ended a string ``exec`` (dataclasses
    build their methods with one, so a Ctrl-C while a module is imported can land there)
    and, under ``python -m``, kills itself with SIGINT at exit although the interrupt was
    handled: exit status -2, not 130. A string exec that completes clears the flag."""
    exec("", {})


def main() -> None:
    """Console entry point: no traceback ever reaches the user."""
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
    except Exception as exc:  # a bug: say so in one line, keep the detail for debugging
        if os.environ.get("NARRATE_DEBUG"):
            raise
        click.echo(f"narrate: internal error: {type(exc).__name__}: {exc} "
                   "(set NARRATE_DEBUG=1 to see the traceback)", err=True)
        sys.exit(EXIT_INTERNAL)
