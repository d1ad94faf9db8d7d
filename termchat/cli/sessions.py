"""`termchat sessions …`: list, show, search, export, import, rename and delete conversations."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from termchat.config import load_config
from termchat.errors import ConfigError, StoreError, stderr_line
from termchat.render.sanitize import json_text, name_text, sanitize

if TYPE_CHECKING:
    from termchat.store.importers import Source


class _Command(TyperCommand):
    """A subcommand whose help names each argument by its metavar (ID, PATH), not a Python type."""

    def _arguments(self, ctx: Any) -> list[Any]:
        return [p for p in self.get_params(ctx) if p.param_type_name == "argument"]

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """`[OPTIONS] ID TITLE`."""
        names = [str(p.metavar or p.name).upper() for p in self._arguments(ctx)]
        return [self.options_metavar or "[OPTIONS]", *names]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """The arguments (metavar and help), then the options as typer shows them."""
        rows = [(str(p.metavar or p.name).upper(), p.help or "") for p in self._arguments(ctx)]
        if rows:
            with formatter.section("Arguments"):
                formatter.write_dl(rows)
        options = [
            p.get_help_record(ctx) for p in self.get_params(ctx) if p not in self._arguments(ctx)
        ]
        with formatter.section("Options"):
            formatter.write_dl([record for record in options if record is not None])


ArgumentsCommand = _Command  # for the other subcommands with arguments (`pull NAME`)

sessions = typer.Typer(
    help="List, show, search, export, import, rename and delete saved conversations.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    sys.stderr.write(stderr_line(_shown(message)))
    return typer.Exit(code)


def _shown(text: str) -> str:
    """A stored or imported string (a title, a message) as one line with no control
    sequence: every line this command writes goes through here or through the renderer."""
    return " ".join(sanitize(text).split())


def _database() -> Path:
    try:
        return load_config().database
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None


def _open() -> Any:
    from termchat.store import SessionStore

    database = _database()
    if not database.exists():
        raise _fail(f"No saved conversations yet ({database} does not exist).")
    try:
        return SessionStore.open(database)
    except StoreError as exc:
        raise _fail(str(exc)) from None


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _plain_rows(rows: Sequence[Sequence[str]]) -> None:
    """For scripts (stdout is not a terminal): one tab-separated line per row, no header, no
    padding, each field on one line and free of control characters."""
    for row in rows:
        sys.stdout.write("\t".join(_shown(field) for field in row) + "\n")


def _renderer() -> Any:
    from termchat.render import Renderer

    return Renderer()


@sessions.command("list", cls=_Command)
def list_sessions(
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array")] = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", metavar="N", help="How many, newest first")
    ] = 50,
) -> None:
    """List conversations: id, title, model, kind (chat or -p), messages, last updated.

    When stdout is not a terminal: one tab-separated line each (id, updated, kind, messages,
    model, title), for scripts.
    """
    if limit < 1:
        raise _fail("--limit must be at least 1", 2)
    rows = []
    if _database().exists():  # no database yet: nothing saved, which is not an error
        with _open() as store:
            try:
                rows = store.list_sessions(limit=limit)
            except StoreError as exc:
                raise _fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json_text([row.to_dict() for row in rows]) + "\n")
        return
    if not sys.stdout.isatty():
        _plain_rows(
            [(r.id, _when(r.updated_at), r.kind, str(r.messages), r.model, r.title) for r in rows]
        )
        return
    if not rows:
        sys.stdout.write("No saved conversations.\n")
        return
    _renderer().table(
        "Conversations",
        ["id", "title", "model", "kind", "messages", "updated"],
        [
            (
                r.id,
                r.title,
                r.model,
                "-p" if r.kind == "oneshot" else "chat",
                str(r.messages),
                _when(r.updated_at),
            )
            for r in rows
        ],
    )


@sessions.command("show", cls=_Command)
def show(
    session_id: Annotated[str, typer.Argument(metavar="ID", help="Id or unique prefix")],
    tree: Annotated[
        bool, typer.Option("--tree", help="Its branches (retries, edits, undos), numbered")
    ] = False,
) -> None:
    """Show a conversation's transcript (or, with --tree, its branches as /tree draws them)."""
    with _open() as store:
        try:
            record = store.get_session(session_id)
            messages = store.load_messages(record.id)
            if tree:
                rows = store.load_rows(record.id, include_inactive=True)
                cut = store.cut_rows(record.id)
        except StoreError as exc:
            raise _fail(str(exc)) from None
    if tree:
        from termchat.branches import build_branches, current
        from termchat.render.tree import TREE_COLUMNS, tree_rows

        branches = build_branches(rows, cut)
        title = f"{record.title or '(untitled)'} · {record.id}"
        _renderer().table(title, TREE_COLUMNS, tree_rows(branches, current(branches)))
        return
    from termchat.render.transcript import draw_transcript

    renderer = _renderer()
    renderer.notice(f"{record.title or '(untitled)'} · {record.id} · {name_text(record.model)}")
    draw_transcript(renderer, messages, model=record.model, show_thinking=True)


@sessions.command("search", cls=_Command)
def search(
    text: Annotated[
        str, typer.Argument(metavar="TEXT", help="Words to find in messages and reasoning")
    ],
    limit: Annotated[
        int, typer.Option("--limit", "-n", metavar="N", help="How many conversations at most")
    ] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array")] = False,
) -> None:
    """Full-text search: each matching conversation once, with its best-matching message.

    When stdout is not a terminal: one tab-separated line each (id, title, snippet).
    """
    from termchat.store import MARK_END, MARK_START

    with _open() as store:
        try:
            hits = store.search(text, limit=limit)
        except StoreError as exc:
            raise _fail(str(exc)) from None
    if as_json:
        found = [
            {
                "id": h.session_id,
                "title": h.session_title,
                "role": h.role,
                "field": h.field,
                "snippet": h.snippet.replace(MARK_START, "").replace(MARK_END, ""),
            }
            for h in hits
        ]
        sys.stdout.write(json_text(found) + "\n")
        return
    if not sys.stdout.isatty():
        plain = [
            (h.session_id, h.session_title, h.snippet.replace(MARK_START, "").replace(MARK_END, ""))
            for h in hits
        ]
        _plain_rows(plain)
        return
    if not hits:
        sys.stdout.write("No matches.\n")
        return
    from termchat.render.search import search_table

    rows = [(h.session_id, h.session_title, h.field, h.snippet) for h in hits]
    _renderer().print(search_table(rows, MARK_START, MARK_END))


@sessions.command("export", cls=_Command)
def export(
    session_id: Annotated[str, typer.Argument(metavar="ID", help="Id or unique prefix")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", metavar="md|json", help="Markdown or JSON")
    ] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="PATH", help="File to write")
    ] = None,
) -> None:
    """Export a conversation as Markdown or lossless JSON."""
    from termchat.store.export import export_json, export_markdown

    if fmt not in ("md", "json"):
        raise _fail("--format must be md or json", 2)
    with _open() as store:
        try:
            if fmt == "json":
                text = json_text(export_json(store, session_id), indent=2)
            else:
                text = export_markdown(store, session_id)
        except StoreError as exc:
            raise _fail(str(exc)) from None
    if not text.endswith("\n"):
        text += "\n"
    if output is None:
        if sys.stdout.isatty():  # a terminal must not act on what the model wrote
            text = sanitize(text)
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"Cannot write {output}: {exc.strerror}") from None
    sys.stderr.write(stderr_line(f"Wrote {output}", ""))


@sessions.command("import", cls=_Command)
def import_(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="A file (or folder) of conversations")
    ],
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="FORMAT",
            help="termchat, llm, oterm, aichat, ollama or chatgpt (default: read from the file)",
        ),
    ] = None,
) -> None:
    """Import conversations: a termchat JSON export (it gets a new id), llm's logs.db, oterm's
    store.db, aichat session YAML, an ollama /save'd model, a ChatGPT conversations.json.

    Importing the same conversations again adds nothing.
    """
    from termchat.store.importers import FORMATS, Source, detect

    if source is not None and source not in FORMATS:
        raise _fail(f"--from must be one of {', '.join(FORMATS)}", 2)
    file = Source(path)  # read once, for detecting and importing alike
    try:
        fmt = source or detect(file)
        if fmt != "termchat":
            _import_history(file, fmt)
            return
        text = file.text()
    except StoreError as exc:
        raise _fail(str(exc)) from None
    from termchat.store.export import import_file

    with _open_or_create() as store:
        try:
            new_id = import_file(store, text)
            record = store.get_session(new_id)
            count = len(store.load_rows(new_id))
        except StoreError as exc:
            raise _fail(str(exc)) from None
    if not sys.stdout.isatty():  # scripts get the id alone
        sys.stdout.write(f"{new_id}\n")
        return
    title = _shown(record.title or "untitled")
    noun = "message" if count == 1 else "messages"
    sys.stdout.write(f"Imported “{title}” as {new_id} ({count} {noun}) — termchat -r {new_id}\n")


def _import_history(file: Source, fmt: str) -> None:
    """Another client's conversations: a summary, and each one skipped as unreadable, why.
    Scripts get the new ids on stdout (the summary goes to stderr)."""
    from termchat.store.importers import import_history

    with _open_or_create() as store:
        try:
            report = import_history(store, file, fmt)
        except StoreError as exc:
            raise _fail(str(exc)) from None
    notes = [f"  skipped {_shown(reason)}" for reason in report.unreadable[:20]]
    if len(report.unreadable) > 20:
        notes.append(f"  … and {len(report.unreadable) - 20} more")
    summary = "\n".join([_shown(report.summary()), *notes]) + "\n"
    if sys.stdout.isatty():
        hint = " — termchat sessions list" if report.session_ids else ""
        sys.stdout.write(summary.replace("\n", hint + "\n", 1))
    else:
        sys.stdout.write("".join(f"{new_id}\n" for new_id in report.session_ids))
        sys.stderr.write(summary)
    if report.unreadable and not (report.session_ids or report.already or report.empty):
        raise typer.Exit(1)


def _open_or_create() -> Any:
    from termchat.store import SessionStore

    try:
        return SessionStore.open(_database())
    except StoreError as exc:
        raise _fail(str(exc)) from None


@sessions.command("rename", cls=_Command)
def rename(
    session_id: Annotated[str, typer.Argument(metavar="ID", help="Id or unique prefix")],
    title: Annotated[str, typer.Argument(metavar="TITLE", help="The new title")],
) -> None:
    """Rename a conversation."""
    with _open() as store:
        try:
            record = store.rename(session_id, title)
        except StoreError as exc:
            raise _fail(str(exc)) from None
    sys.stdout.write(f"{record.id}: {_shown(record.title or '')}\n")


@sessions.command("delete", cls=_Command)
def delete(
    session_id: Annotated[str, typer.Argument(metavar="ID", help="Id or unique prefix")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask")] = False,
) -> None:
    """Delete a conversation (asks first unless --yes)."""
    with _open() as store:
        try:
            record = store.get_session(session_id)
            if not yes:
                if not sys.stdin.isatty():
                    raise _fail("Refusing to delete without --yes (no terminal to ask on).", 2)
                question = f"Delete “{_shown(record.title or 'untitled')}” ({record.id})?"
                if not typer.confirm(question, default=False):
                    sys.stderr.write("Not deleted.\n")
                    return
            store.delete_session(record.id)
        except StoreError as exc:
            raise _fail(str(exc)) from None
    sys.stdout.write(f"Deleted {record.id}\n")
