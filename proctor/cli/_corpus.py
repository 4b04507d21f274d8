"""``proctor corpus``: build, inspect, search and serve the literature index."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

F = TypeVar("F", bound=Callable[..., Any])

corpus_group = click.Group("corpus", help="Build, inspect, search and serve the literature index.")


def _settings_options(fn: F) -> F:
    fn = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                      help="Override a setting, e.g. --set retrieval.embedder=hashing")(fn)
    fn = click.option("--config", type=click.Path(dir_okay=False), default=None,
                      help="Settings file (default: ./proctor.toml or $PROCTOR_CONFIG).")(fn)
    return fn


def _retrieval_settings(config: str | None, overrides: tuple[str, ...]) -> Any:
    from proctor.settings import SettingsError, load_settings

    try:
        return load_settings(config, overrides).retrieval
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _open_index(config: str | None, overrides: tuple[str, ...]) -> Any:
    from proctor.retrieval import EmbedderUnavailable, LiteratureIndex

    try:
        return LiteratureIndex(_retrieval_settings(config, overrides))
    except EmbedderUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


def _known_errors() -> tuple[type[BaseException], ...]:
    from proctor.retrieval import (
        ChromaServerUnavailable,
        EmbedderUnavailable,
        IndexEmpty,
        IndexLocked,
        SharedDataMissing,
    )

    return (IndexLocked, EmbedderUnavailable, SharedDataMissing, IndexEmpty, ChromaServerUnavailable)


def _print_report(report: Any, console: Console, as_json: bool) -> None:
    if as_json:
        click.echo(report.model_dump_json(indent=2))
        return
    console.print(
        f"[bold]{len(report.files_added)}[/] files added, {len(report.files_unchanged)} unchanged (not re-embedded); "
        f"{report.papers} papers, {report.chunks} chunks in {report.seconds:.1f}s "
        f"({report.chunks_per_s:.1f} chunks/s)"
        + (f"; {report.papers_resumed} papers already stored by an interrupted run" if report.papers_resumed else "")
    )
    if report.skipped:
        table = Table(title=f"Skipped ({len(report.skipped)})", show_lines=False)
        table.add_column("reason")
        table.add_column("count", justify="right")
        table.add_column("example")
        groups = Counter(s.reason for s in report.skipped)
        for reason, count in groups.most_common():
            example = next(s.path for s in report.skipped if s.reason == reason)
            table.add_row(reason, str(count), example)
        console.print(table)
    for note in report.notes:
        console.print(f"[yellow]note[/] {note.path}: {note.reason}")


@corpus_group.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the ingest report as JSON.")
@_settings_options
def add(paths: tuple[Path, ...], as_json: bool, config: str | None, overrides: tuple[str, ...]) -> None:
    """Add JSONL(.gz), PDF, Markdown/text files, tarballs of text papers, or directories."""
    from proctor.retrieval import ingest

    console = Console(stderr=True)
    try:
        report = ingest(_open_index(config, overrides), paths, show_progress=not as_json, console=console)
    except _known_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    _print_report(report, Console(), as_json)


@corpus_group.command("build-default")
@click.option("--download", is_flag=True,
              help="Fetch the corpus from its public source (retrieval.default_corpus_urls) when no copy is found.")
@click.option("--json", "as_json", is_flag=True, help="Print the ingest report as JSON.")
@_settings_options
def build_default(download: bool, as_json: bool, config: str | None, overrides: tuple[str, ...]) -> None:
    """Index the 18k-abstract default corpus once (from retrieval.default_corpus, the shared folder, an
    earlier download, or its public source with --download); later runs find it in the manifest."""
    from proctor.retrieval import build_default_index

    try:
        report = build_default_index(_open_index(config, overrides), download=download, show_progress=not as_json,
                                     console=Console(stderr=True))
    except _known_errors() as exc:  # no corpus anywhere: exit 1, the message says how to obtain it
        raise click.ClickException(str(exc)) from exc
    _print_report(report, Console(), as_json)


def _online_hits(index: Any, query: str, mode: str | None, k: int | None) -> tuple[list[Any], Any]:
    """Online search for QUERY (no gate: the user typed it), its papers stored, and the merged hits."""
    from proctor.retrieval import OnlineLiterature, merged_search

    lit = OnlineLiterature(index.settings, embedder=index.embedder)
    try:
        result = lit.search(query)
        lit.store(result.papers)
        indexes = [ix for ix in (index, lit.index) if ix.papers.count()]
        hits = merged_search(indexes, [query], mode=mode, k=k)[0] if indexes else []  # type: ignore[arg-type]
    finally:
        lit.close()
    return hits, result


@corpus_group.command("search")
@click.argument("query")
@click.option("-k", "--top-k", "k", type=int, default=None, help="Passages to show (default retrieval.top_k).")
@click.option("--mode", type=click.Choice(["two_stage", "paragraph", "paper"]), default=None,
              help="Search mode (default retrieval.search_mode).")
@click.option("--online", is_flag=True,
              help="Also ask the online sources (retrieval.online: order, base URLs, cache) and merge their papers "
                   "with the local index; each hit names its source.")
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON.")
@_settings_options
def search_cmd(query: str, k: int | None, mode: str | None, online: bool, as_json: bool, config: str | None,
               overrides: tuple[str, ...]) -> None:
    """Show the passages nearest QUERY, ranked, with paper and score."""
    from proctor.retrieval import OnlineError, hit_origin, search

    index = _open_index(config, overrides)
    result = None
    try:
        if online:
            hits, result = _online_hits(index, query, mode, k)
        else:
            index.require_papers()
            hits = search(index, query, mode=mode, k=k)  # type: ignore[arg-type]
    except _known_errors() + (OnlineError,) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        rows = [h.model_dump(mode="json") | ({"origin": hit_origin(h)} if online else {}) for h in hits]
        if result is None:
            click.echo(json.dumps(rows, indent=2))
        else:
            click.echo(json.dumps({"query": query, "hits": rows, "online": result.model_dump(
                mode="json", exclude={"papers"}) | {"papers": len(result.papers)}}, indent=2))
        return
    err = Console(stderr=True)
    for a in result.attempts if result is not None else []:
        err.print(f"{a.source}: {a.status}{f' ({a.papers} papers)' if a.papers else ''}"
                  f"{f' - {a.reason}' if a.reason else ''}", markup=False, highlight=False)
    table = Table(title=f"{query!r} ({hits[0].mode if hits else mode}, {index.name})", show_lines=True)
    for col, kw in (("#", {"justify": "right"}), ("score", {"justify": "right"}), ("paper", {}),
                    ("section", {}), ("passage", {})):
        table.add_column(col, **kw)  # type: ignore[arg-type]
    if online:
        table.add_column("source")
    for h in hits:
        p = h.passage
        text = p.text if len(p.text) <= 300 else p.text[:300] + "…"
        paper = f"{p.title}\n[dim]{p.paper_id}{f' · {p.venue} {p.year}' if p.year else ''}[/]"
        table.add_row(str(h.rank), f"{h.score:.3f}", paper, p.section, text, *([hit_origin(h)] if online else []))
    Console().print(table)


@corpus_group.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_settings_options
def stats(as_json: bool, config: str | None, overrides: tuple[str, ...]) -> None:
    """Show the index name, location, embedder and counts."""
    s = _open_index(config, overrides).stats()
    if as_json:
        click.echo(s.model_dump_json(indent=2))
        return
    table = Table(show_header=False)
    for key, value in s.model_dump().items():
        table.add_row(key, str(value))
    Console().print(table)


@corpus_group.command("serve")
@click.option("--host", default="localhost", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=None, help="Port (default retrieval.server_port).")
@_settings_options
def serve_cmd(host: str, port: int | None, config: str | None, overrides: tuple[str, ...]) -> None:
    """Run `chroma run` over the index directory; point clients at it with retrieval.server_url."""
    from proctor.retrieval import serve, serve_command

    settings = _retrieval_settings(config, overrides)
    try:
        cmd = serve_command(settings, host=host, port=port)
    except _known_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    Console(stderr=True).print(
        f"serving {cmd[3]} — set retrieval.server_url=http://{host}:{cmd[-1]} in clients (Ctrl-C stops)")
    sys.exit(serve(settings, host=host, port=port))
