"""Session export (lossless JSON, readable Markdown) and JSON import, through the store API.

JSON form (`FORMAT` = "termchat-session", `VERSION` = 1)::

    {"format", "version", "id", "title", "model", "system", "options", "think",
     "created_at", "updated_at",
     "messages": [active history, in order],
     "alternatives": [inactive rows (undone turns, other replies), by (gen, seq)]}

Every message object holds every Message field (`role`, `content`, `thinking`, `tool_calls`,
`tool_name`, `tool_call_id`, `images`, `model`, `stats`, `interrupted`, `error`) plus
`created_at` and its place in the history tree: `seq`, `gen` and `parent_gen` (see
`termchat.store`). Inactive rows are included so that nothing stored is lost: export, import and
export again give the same document except for `id`. Import also accepts a plain list of
messages (`seq`, `gen`, `parent_gen` and `created_at` may be left out).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from typing import Any, Final

from termchat.errors import StoreError
from termchat.messages import Message
from termchat.store import SessionRecord, SessionStore, StoredMessage

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
    }


# --- import ------------------------------------------------------------------------------


def _fail(where: str, what: str) -> StoreError:
    return StoreError(f"Cannot import: {where} {what}")


def _check(data: dict[str, Any], key: str, types: tuple[type, ...], where: str) -> Any:
    value = data.get(key)
    # bool is an int in Python; only accept it where bool itself is allowed.
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        names = " or ".join("null" if t is type(None) else t.__name__ for t in types)
        raise _fail(f"{where}.{key}", f"must be {names}, not {type(value).__name__}")
    return value


_OPT_STR: Final = (str, type(None))
_NUMBER: Final = (int, float)


def _row(data: Any, where: str, active: bool, index: int) -> StoredMessage:
    if not isinstance(data, dict):
        raise _fail(where, "must be an object")
    if data.get("role") not in _ROLES:
        raise _fail(f"{where}.role", f"must be one of {', '.join(_ROLES)}")
    for key in ("content", "thinking"):
        if key in data:
            _check(data, key, _OPT_STR, where)
    for key in ("tool_name", "tool_call_id", "model", "error"):
        _check(data, key, _OPT_STR, where)
    for key in ("tool_calls", "images"):
        for i, item in enumerate(_check(data, key, (list, type(None)), where) or []):
            ok = isinstance(item, str) if key == "images" else _is_tool_call(item)
            if not ok:
                raise _fail(f"{where}.{key}[{i}]", "is not valid")
    _check(data, "stats", (dict, type(None)), where)
    _check(data, "interrupted", (bool, type(None)), where)
    created = _check(data, "created_at", (*_NUMBER, type(None)), where)
    seq = _check(data, "seq", (int, type(None)), where)
    gen = _check(data, "gen", (int, type(None)), where)
    parent_gen = _check(data, "parent_gen", (int, type(None)), where)
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
        created_at=float(created) if created is not None else time.time(),
        message=Message.from_dict(data),
    )


def _is_tool_call(item: Any) -> bool:
    function = item.get("function") if isinstance(item, dict) else None
    return (
        isinstance(function, dict)
        and isinstance(function.get("name"), str)
        and isinstance(function.get("arguments", {}), dict)
    )


def import_json(store: SessionStore, data: Any) -> str:
    """Store an exported session (a dict as `export_json` makes) under a new id; returns it.

    Raises:
        StoreError: the data is not a termchat session (the message says where), or the
            database failed.
    """
    if isinstance(data, list):
        data = {"messages": data}
    if not isinstance(data, dict):
        raise _fail("the file", "must hold a JSON object")
    if data.get("format", FORMAT) != FORMAT:
        raise _fail("format", f"must be {FORMAT!r}")
    version = data.get("version", VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version > VERSION:
        raise _fail("version", f"{version!r} is not supported (this termchat reads {VERSION})")
    messages = _check(data, "messages", (list,), "session")
    alternatives = _check(data, "alternatives", (list, type(None)), "session") or []
    model = _check(data, "model", _OPT_STR, "session") or ""
    title = _check(data, "title", _OPT_STR, "session")
    system = _check(data, "system", _OPT_STR, "session")
    options = _check(data, "options", (dict, type(None)), "session")
    think = _check(data, "think", (bool, str, type(None)), "session")
    now = time.time()
    created = _check(data, "created_at", (*_NUMBER, type(None)), "session")
    updated = _check(data, "updated_at", (*_NUMBER, type(None)), "session")
    rows = [_row(m, f"messages[{i}]", True, i) for i, m in enumerate(messages)]
    rows += [_row(m, f"alternatives[{i}]", False, -1) for i, m in enumerate(alternatives)]
    record = SessionRecord(
        id="",
        title=title or "",
        model=model,
        system=system,
        options=options,
        think=think,
        created_at=float(created) if created is not None else now,
        updated_at=float(updated) if updated is not None else now,
    )
    return store.import_session(record, rows)


def import_file(store: SessionStore, text: str) -> str:
    """Parse JSON text and `import_json` it; StoreError on text that is not JSON."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(f"Cannot import: not JSON ({exc})") from None
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
    if message.interrupted:
        parts.append("*[interrupted — this reply was cut short]*")
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
