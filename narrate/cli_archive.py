"""The commands for many articles: ``narrate batch`` (an archive, resumably) and
``narrate feed`` (a podcast feed of a folder of narrations). Registered on the group in
cli.py."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from narrate.cli_shared import build_settings, fail, minutes, output_options, say, text_options, voice_options
from narrate.errors import NarrateError, UsageError


@click.command()
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
        fail(err)
    say(f"{result.path}  ({result.episodes} episode{'' if result.episodes == 1 else 's'})")


@click.command()
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
@output_options
@click.option("-j", "--jobs", type=click.IntRange(1, 64), metavar="N",
              help="Articles and engine workers at once (default: one per core).")
@click.option("-f", "--force", is_flag=True, help="Re-make outputs that are up to date.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first article that fails.")
@click.option("--report-csv", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the report as CSV.")
@click.option("--keep-boilerplate", is_flag=True, help="Read scraped boilerplate too.")
@click.option("--no-cache", is_flag=True, help="Don't use the sentence cache.")
@click.option("-q", "--quiet", is_flag=True, help="No progress; only the summary.")
@click.option("--cluster", metavar="ADDRESS",
              help="Run on a Ray cluster: local (start one on this machine), auto (the cluster this "
                   "machine is a node of), HOST:PORT or ray://HOST:PORT. --jobs is then per node "
                   "(default: its CPUs). Needs narrate[cluster]; see README, 'Scaling out'.")
def batch(inputs: tuple[str, ...], out_dir: Path, from_list: Path | None, manifest: Path | None,
          format_: str | None, jobs: int | None, force: bool, fail_fast: bool, report_csv: Path | None,
          keep_boilerplate: bool, no_cache: bool, quiet: bool, cluster: str | None, **flags: Any) -> None:
    """Narrate many articles into DIR: files, folders (.txt .md .html, recursively),
    globs, a list file or a JSON Lines manifest.

    \b
      narrate batch archive/ -o audio/
      narrate batch 'feeds/**/*.html' --from-list extra.txt -o audio/ --jobs 2
      narrate batch --manifest articles.jsonl -o audio/ --report-csv audio/report.csv
      narrate batch /shared/archive/ -o /shared/audio/ --cluster auto

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
        if cluster is not None:
            from narrate import cluster as ray_batch  # Ray itself only once the run starts

            address = ray_batch.parse_address(cluster)
        items = archive.collect(inputs, out_dir, archive.suffix_for(settings),
                                from_list=from_list, manifest=manifest)
        options = archive.BatchOptions(jobs=jobs or default_jobs(), force=force,
                                       fail_fast=fail_fast, keep_boilerplate=keep_boilerplate)
        show = _batch_progress(quiet, len(items))
        nodes = ""
        if cluster is None:
            report = archive.run_batch(items, settings, out_dir, options, show)
        else:
            report, stats = ray_batch.run_batch(items, settings, out_dir, options, progress=show,
                                                address=address, jobs_per_node=jobs)
            nodes = f"\n{'cluster':<22} {stats.summary()}"
        path = archive.write_report(report, out_dir, report_csv)
    except NarrateError as err:
        fail(err)
    say(_batch_table(report) + nodes, err=True)
    say(f"report: {path}", err=True)
    sys.exit(1 if report.count("failed") else 0)


def _batch_progress(quiet: bool, total: int) -> Callable[[Any, Any], None] | None:
    if quiet:
        return None
    tty = sys.stderr is not None and sys.stderr.isatty()
    started = time.monotonic()

    def show(row: Any, report: Any) -> None:
        finished = sum(1 for r in report.rows if r.status != "pending")
        if not tty:
            length = minutes(row.duration_s * 1000)
            detail = row.error if row.status == "failed" else f"{row.output} ({length})"
            say(f"[{finished}/{total}] {row.status:<7} {row.source}: {detail}", err=True)
            return
        elapsed = time.monotonic() - started
        eta = elapsed / finished * (total - finished) if finished else 0
        width = 24
        bar = "#" * (width * finished // total) + "-" * (width - width * finished // total)
        say(f"\r[{bar}] {finished}/{total} articles · {report.audio_hours:.2f} h audio · "
            f"{report.count('failed')} failed · ETA {minutes(eta * 1000)}  ", err=True, nl=False)
        if finished == total:
            say(err=True)

    return show


def _batch_table(report: Any) -> str:
    rows = [("done", report.count("done")), ("skipped (up to date)", report.count("skipped")),
            ("failed", report.count("failed"))]
    if report.count("not run"):
        rows.append(("not run (--fail-fast)", report.count("not run")))
    rows += [("hours of audio", f"{report.audio_hours:.2f}"), ("wall time", f"{report.wall_s:.1f} s")]
    return "\n".join(f"{name:<22} {value}" for name, value in rows)
