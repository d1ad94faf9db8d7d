"""Importing other clients' history: which format a file is, and reading it into the store.

`detect(source)` names the format from the file itself (SQLite header and tables, JSON shape,
YAML keys); `import_history(store, source, fmt)` reads it with that format's module and stores
each conversation (`termchat.store.importers.build`), returning an `ImportReport`. Formats:
"llm" (logs.db), "oterm" (store.db), "aichat" (session YAML, or a folder of them), "ollama"
(a /save'd model's manifest or Modelfile), "chatgpt" (conversations.json, or the unzipped export
folder) and "termchat" (a `termchat sessions export --format json` file, read by
`termchat.store.export`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from termchat.errors import StoreError
from termchat.store import SessionStore
from termchat.store.fields import Invalid, read_json
from termchat.store.importers import aichat, chatgpt, llm, ollama, oterm
from termchat.store.importers.build import MAX_FILE_BYTES, Conversation, ImportReport, add_all
from termchat.store.importers.sqlite_source import is_sqlite, read_only, tables

FORMATS: Final = ("termchat", "llm", "oterm", "aichat", "ollama", "chatgpt")
KNOWN: Final = (
    "termchat JSON, llm logs.db, oterm store.db, aichat session YAML, an ollama /save'd "
    "model (manifest or Modelfile), ChatGPT conversations.json"
)


def _fail(path: Path, reason: str) -> StoreError:
    return StoreError(f"Cannot import {path}: {reason}")


def _text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _fail(path, f"it is too large (more than {MAX_FILE_BYTES >> 20} MiB)")
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(path, "it is not UTF-8 text, nor an SQLite database") from None
    except OSError as exc:
        raise _fail(path, exc.strerror or str(exc)) from None


def _folder(path: Path) -> Path:
    """What a folder argument means: a ChatGPT export's conversations.json, else itself."""
    inner = path / "conversations.json"
    return inner if path.is_dir() and inner.is_file() else path


class Source:
    """A file to import: its text and JSON read at most once, however often detecting its
    format and reading it ask for them.

    Attributes:
        path: The file (a ChatGPT export folder's conversations.json), or a folder.
    """

    def __init__(self, path: Path) -> None:
        self.path = _folder(path)
        self._text: str | None = None
        self._data: Any = None
        self._parsed = False

    def text(self) -> str:
        """The file as text (UTF-8, a byte order mark allowed).

        Raises:
            StoreError: too large, not UTF-8, or unreadable.
        """
        if self._text is None:
            self._text = _text(self.path)
        return self._text

    def data(self) -> Any:
        """The text as JSON; None when it is not JSON."""
        if not self._parsed:
            self._data, self._parsed = read_json(self.text()), True
        return self._data


def _source(source: Path | Source) -> Source:
    return source if isinstance(source, Source) else Source(source)


def detect(source: Path | Source) -> str:
    """The format of a file (one of FORMATS), read from the file itself.

    Raises:
        StoreError: the file cannot be read, or is none of the known formats (the message
            says what it looks like where that helps).
    """
    file = _source(source)
    path = file.path
    if path.is_dir():
        if any(path.rglob("*.yaml")):
            return "aichat"
        raise _fail(path, "a folder with neither conversations.json nor *.yaml session files")
    if ollama.is_history(path):
        raise _fail(path, f"it {ollama.HISTORY}")
    if is_sqlite(path):
        try:
            with read_only(path) as conn:
                names = tables(conn)
        except Invalid as exc:
            raise _fail(path, f"it {exc}") from None
        if llm.is_llm(names):
            return "llm"
        if oterm.is_oterm(names):
            return "oterm"
        if {"sessions", "messages"} <= names:
            raise _fail(path, "it is a termchat database; export from it instead")
        shown = ", ".join(sorted(names)[:8]) or "none"
        raise _fail(path, f"an SQLite database of no known client (tables: {shown})")
    text, data = file.text(), file.data()
    if data is not None:
        if chatgpt.looks_like(data):
            return "chatgpt"
        if ollama.is_manifest(data):
            return "ollama"
        return "termchat"
    if aichat.looks_like(text):
        return "aichat"
    if ollama.is_modelfile(text):
        return "ollama"
    raise _fail(path, f"not a format termchat reads ({KNOWN}); --from FORMAT says which")


def read(source: Path | Source, fmt: str) -> list[Any]:
    """The conversations (or Unreadable notes) of a file read as `fmt` (not "termchat").

    Raises:
        StoreError: the file as a whole cannot be read as `fmt`.
    """
    file = _source(source)
    path = file.path
    try:
        if fmt == "llm":
            return list(llm.read(path))
        if fmt == "oterm":
            return list(oterm.read(path))
        if fmt == "aichat":
            return list(aichat.read(path))
        if ollama.is_history(path):
            raise Invalid(ollama.HISTORY)
        if is_sqlite(path):
            raise Invalid(f"is an SQLite database, not a {LABELS.get(fmt, fmt)} file")
        text, data = file.text(), file.data()
        if fmt == "chatgpt":
            if not chatgpt.looks_like(data):
                raise Invalid("is not a ChatGPT export (a JSON list of conversations with mapping)")
            return chatgpt.read(data)
        if fmt == "ollama":
            if ollama.is_manifest(data):
                return [ollama.read_manifest(path, data)]
            if data is None and ollama.is_modelfile(text):
                return [ollama.read_modelfile(path, text)]
            raise Invalid("is neither an ollama model manifest nor a Modelfile")
    except Invalid as exc:
        raise _fail(path, f"it {exc}") from None
    raise _fail(path, f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


LABELS: Final = {
    "llm": llm.LABEL,
    "oterm": oterm.LABEL,
    "aichat": aichat.LABEL,
    "ollama": ollama.LABEL,
    "chatgpt": chatgpt.LABEL,
}


def import_history(store: SessionStore, source: Path | Source, fmt: str) -> ImportReport:
    """Read a file as `fmt` and store every conversation not imported before.

    A conversation that breaks a rule is skipped and named in the report; the others are
    stored, each in its own transaction.

    Raises:
        StoreError: the file as a whole cannot be read, or the database failed.
    """
    file = _source(source)
    conversations = read(file, fmt)
    path = file.path
    label = LABELS.get(fmt, fmt)
    if fmt == "aichat":
        label = f"aichat sessions in {path.name}" if path.is_dir() else f"{label} {path.name}"
    return add_all(store, fmt, ImportReport(label), conversations)


__all__ = ["FORMATS", "Conversation", "ImportReport", "Source", "detect", "import_history", "read"]
