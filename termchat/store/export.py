"""Session export (lossless JSON, readable Markdown) and JSON import, through the store API.

JSON form (`FORMAT` = "termchat-session", `VERSION` = 1)::

    {"format", "version", "id", "title", "model", "system", "options", "think",
     "created_at", "updated_at",
     "messages": [active history, in order],
     "alternatives": [inactive rows (undone turns, other replies), by (gen, seq)],
     "attachments": {sha256: {"mime", "data": base64}: each attached file's content once}}

Every message object holds every Message field (`role`, `content`, `thinking`, `tool_calls`,
`tool_name`, `tool_call_id`, `images`, `model`, `stats`, `interrupted`, `error`, and
`attachments`: a list of `{"name", "mime", "size", "sha256"}`) plus
`created_at` and its place in the history tree: `seq`, `gen` and `parent_gen` (see
`termchat.store`). Inactive rows are included so that nothing stored is lost: export, import and
export again give the same document except for `id`. Import also accepts a plain list of
messages (`seq`, `gen`, `parent_gen` and `created_at` may be left out). Import checks every
field as strictly as an answer from a server, and refuses a file that breaks a rule whole.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

from termchat.attachments import label
from termchat.cutreplies import marker
from termchat.errors import StoreError
from termchat.messages import Message, Stats
from termchat.store import SessionRecord, SessionStore, StoredMessage, blobs
from termchat.store.fields import (
    MAX_NAME,
    MAX_POSITION,
    MAX_TITLE,
    Invalid,
    check_images,
    check_int,
    check_options,
    check_stats,
    check_text,
    check_think,
    check_time,
    check_tool_calls,
)
from termchat.store.records import check_tree

T = TypeVar("T")

FORMAT: Final = "termchat-session"
VERSION: Final = 1

_ROLES: Final = ("system", "user", "assistant", "tool")


def _message_dict(row: StoredMessage) -> dict[str, Any]:
    m = row.message
    return {
        "role": m.role,
        "content": m.content,
        "thinking": m.thinking,
        "tool_calls": [call.to_dict() for call in m.tool_calls],
        "tool_name": m.tool_name,
        "tool_call_id": m.tool_call_id,
        "images": list(m.images),
        "attachments": blobs.export_refs(m),
        "model": m.model,
        "stats": m.stats.to_dict() if m.stats is not None else None,
        "interrupted": m.interrupted,
        "error": m.error,
        "created_at": row.created_at,
        "seq": row.seq,
        "gen": row.gen,
        "parent_gen": row.parent_gen,
    }


def export_json(store: SessionStore, session_id: str) -> dict[str, Any]:
    """The whole session as a JSON-ready dict (see the module docstring).

    Raises:
        StoreError: unknown or ambiguous id, or the database failed.
    """
    session = store.get_session(session_id)
    rows = store.load_rows(session.id, include_inactive=True)
    inactive = sorted((row for row in rows if not row.active), key=lambda r: (r.gen, r.seq))
    return {
        "format": FORMAT,
        "version": VERSION,
        "id": session.id,
        "title": session.title,
        "model": session.model,
        "system": session.system,
        "options": session.options,
        "think": session.think,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
        "messages": [_message_dict(row) for row in rows if row.active],
        "alternatives": [_message_dict(row) for row in inactive],
        "attachments": blobs.export_contents(row.message for row in rows),
    }


# --- import ------------------------------------------------------------------------------

MAX_IMPORT_CHARS: Final = 64 * 1024 * 1024
"""The largest file `import_file` reads (as large as the biggest answer a server may send)."""


def _fail(where: str, what: str) -> StoreError:
    return StoreError(f"Cannot import: {where} {what}")


def _field(data: dict[str, Any], key: str, where: str, check: Callable[[Any], T]) -> T:
    """`check(data[key])` (None when missing), with the field named in the error."""
    try:
        return check(data.get(key))
    except Invalid as exc:
        reason = str(exc)  # "[2] has no name" follows the field's name without a space
        raise StoreError(
            f"Cannot import: {where}.{key}{'' if reason.startswith('[') else ' '}{reason}"
        ) from None


def _text(limit: int | None = None) -> Callable[[Any], str | None]:
    return lambda value: check_text(value, limit)


def _position(value: Any) -> int | None:
    return None if value is None else check_int(value, MAX_POSITION)


def _flag(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    raise Invalid(f"must be true or false, not {type(value).__name__}")


def _row(data: Any, where: str, active: bool, index: int, contents: blobs.Blobs) -> StoredMessage:
    """One message object of the file, checked field by field."""
    if not isinstance(data, dict):
        raise _fail(where, "must be an object")
    role = data.get("role")
    if role not in _ROLES:
        raise _fail(f"{where}.role", f"must be one of {', '.join(_ROLES)}")
    calls = _field(data, "tool_calls", where, check_tool_calls)
    if calls and role != "assistant":
        raise _fail(f"{where}.tool_calls", "are only allowed in assistant messages")
    stats = _field(data, "stats", where, check_stats)
    message = Message(
        role=role,
        content=_field(data, "content", where, _text()) or "",
        thinking=_field(data, "thinking", where, _text()) or "",
        tool_calls=calls,
        tool_name=_field(data, "tool_name", where, _text(MAX_NAME)) or None,
        tool_call_id=_field(data, "tool_call_id", where, _text(MAX_NAME)) or None,
        images=_field(data, "images", where, check_images),
        attachments=_field(data, "attachments", where, blobs.check_refs(contents)),
        model=_field(data, "model", where, _text(MAX_NAME)) or None,
        stats=None if stats is None else Stats.from_dict(stats),
        interrupted=_field(data, "interrupted", where, _flag),
        error=_field(data, "error", where, _text()) or None,
    )
    created = _field(data, "created_at", where, check_time)
    seq = _field(data, "seq", where, _position)
    gen = _field(data, "gen", where, _position)
    parent_gen = _field(data, "parent_gen", where, _position)
    if seq is None:  # a plain message list: one generation, in order
        if index < 0:
            raise _fail(f"{where}.seq", "is missing")
        seq, gen = index, 0
        parent_gen = 0 if index else None
    elif gen is None:
        raise _fail(f"{where}.gen", "is missing")
    return StoredMessage(
        row_id=0,
        seq=seq,
        gen=gen,
        parent_gen=parent_gen,
        active=active,
        created_at=created if created is not None else time.time(),
        message=message,
    )


def _version(value: Any) -> int:
    if value is None:
        return VERSION
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= VERSION:
        return value
    raise Invalid(f"{value!r:.40} is not supported (this termchat reads {VERSION})")


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raise Invalid(f"must be a list, not {'null' if value is None else type(value).__name__}")


def import_json(store: SessionStore, data: Any) -> str:
    """Store an exported session (a dict as `export_json` makes) under a new id; returns it.

    Every field is checked first (`termchat.store.fields` has the limits); a file that breaks
    any rule is refused whole, and nothing of it is written.

    Raises:
        StoreError: the data is not a valid termchat session (the message says where and
            why), or the database failed.
    """
    if isinstance(data, list):
        data = {"messages": data}
    if not isinstance(data, dict):
        raise _fail("the file", "must hold a JSON object")
    if data.get("format", FORMAT) != FORMAT:
        raise _fail("format", f"must be {FORMAT!r}")
    _field(data, "version", "session", _version)
    _field(data, "id", "session", _text(MAX_NAME))
    messages = _field(data, "messages", "session", _list)
    alternatives = _field(data, "alternatives", "session", lambda v: [] if v is None else _list(v))
    now = time.time()
    created = _field(data, "created_at", "session", check_time)
    updated = _field(data, "updated_at", "session", check_time)
    record = SessionRecord(
        id="",
        title=_field(data, "title", "session", _text(MAX_TITLE)) or "",
        model=_field(data, "model", "session", _text(MAX_NAME)) or "",
        system=_field(data, "system", "session", _text()),
        options=_field(data, "options", "session", check_options),
        think=_field(data, "think", "session", check_think),
        created_at=created if created is not None else now,
        updated_at=updated if updated is not None else now,
    )
    contents = _field(data, "attachments", "session", blobs.check_contents)
    rows = [_row(m, f"messages[{i}]", True, i, contents) for i, m in enumerate(messages)]
    rows += [_row(m, f"alternatives[{i}]", False, -1, contents) for i, m in enumerate(alternatives)]
    try:
        check_tree(rows)
    except StoreError as exc:
        raise _fail("the file:", str(exc)) from None
    return store.import_session(record, rows)


def import_file(store: SessionStore, text: str) -> str:
    """Parse JSON text and `import_json` it.

    Raises:
        StoreError: the text is too large, not JSON (NaN and Infinity are not), nested too
            deeply or holds a number too long to read; or as `import_json` (which refuses NaN
            and Infinity wherever a number is checked).
    """
    if len(text) > MAX_IMPORT_CHARS:
        raise _fail("the file", f"is too large (more than {MAX_IMPORT_CHARS >> 20} MiB)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(f"Cannot import: not JSON ({exc})") from None
    except RecursionError:
        raise _fail("the file", "is nested too deeply to read") from None
    except ValueError as exc:  # an integer past Python's digit limit
        raise _fail("the file", f"holds a number too long to read ({exc})") from None
    return import_json(store, data)


# --- Markdown ----------------------------------------------------------------------------


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _fenced(text: str, info: str = "") -> str:
    """`text` in a code fence longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def _escape(text: str) -> str:
    """Neutralize HTML tags so a message cannot close our <details> blocks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _message_markdown(message: Message) -> list[str]:
    parts: list[str] = []
    if message.role == "tool":
        name = _escape(message.tool_name or "tool")
        return [_details(f"Tool result: {name}", _fenced(message.content))]
    if message.thinking:
        parts.append(_details("Reasoning", _fenced(message.thinking, "text")))
    if message.content:
        parts.append(message.content)
    for call in message.tool_calls:
        arguments = json.dumps(call.arguments, ensure_ascii=False, indent=2)
        parts.append(_details(f"Tool call: {_escape(call.name)}", _fenced(arguments, "json")))
    if message.images:
        parts.append(f"*[{len(message.images)} image(s) attached]*")
    for a in message.attachments:
        shown = _escape(label(a.name, a.size))
        parts.append(shown if a.is_image else _details(shown, _fenced(a.text().rstrip("\n"))))
    if message.interrupted:
        parts.append(f"*{marker(message)}*")  # the words the model is sent (mark)
    if message.error:
        parts.append(f"> **Error:** {_escape(message.error)}")
    return parts


_HEADINGS: Final = {"user": "User", "assistant": "Assistant", "system": "System", "tool": "Tool"}


def export_markdown(store: SessionStore, session_id: str) -> str:
    """A readable transcript of the active history.

    User and assistant turns get headings; reasoning, tool calls and tool results sit in
    `<details>` blocks; interrupted replies and errors are marked.
    """
    session = store.get_session(session_id)
    lines = [f"# {session.title or 'Conversation ' + session.id}", ""]
    lines.append(f"- Conversation: `{session.id}`")
    lines.append(f"- Model: `{session.model}`")
    lines.append(f"- Started: {_when(session.created_at)}; updated: {_when(session.updated_at)}")
    if session.system:
        lines += ["", _details("System prompt", _fenced(session.system, "text"))]
    previous_role = ""
    for row in store.load_rows(session.id):
        message = row.message
        # A tool result belongs to the assistant turn above it: no heading of its own.
        if message.role != "tool" or previous_role not in ("assistant", "tool"):
            heading = _HEADINGS[message.role]
            if message.role == "assistant" and message.model and message.model != session.model:
                heading += f" ({message.model})"
            lines += ["", f"## {heading}"]
        lines += ["", *"\n\n".join(_message_markdown(message)).splitlines()]
        previous_role = message.role
    return "\n".join(lines).rstrip() + "\n"
