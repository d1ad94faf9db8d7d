"""From another client's conversation to termchat's rows: the shared model, checks and report.

Every reader turns its source into `Conversation`s: an active path of `Turn`s and, where the
source keeps them, other branches (each a whole path from the start; turns with the same `key`
at the same place are the same message). `store_conversation` checks each field with the rules
of `termchat.store.fields`, lays the branches out as generations (one run of positions each,
see `termchat.store`) and stores the whole conversation in one transaction, remembering its
source id so that a second import of it adds nothing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from termchat.errors import StoreError
from termchat.messages import Message, Think, ToolCall
from termchat.store import SessionRecord, SessionStore, StoredMessage
from termchat.store.fields import (
    MAX_NAME,
    MAX_TITLE,
    Invalid,
    check_images,
    check_text,
    check_time,
    check_tool_calls,
    read_options,
)

MAX_FILE_BYTES: Final = 256 * 1024 * 1024
"""The largest JSON or YAML file read whole (a ChatGPT export of years fits)."""
MAX_BRANCHES: Final = 1000
"""Other branches kept per conversation; more are counted as skipped."""

_THINK: Final = re.compile(r"\A\s*<think>(.*?)</think>\s*", re.DOTALL)


@dataclass(frozen=True)
class Turn:
    """One message of a source, its time (None: unknown) and its identity in the source."""

    message: Message
    created_at: float | None = None
    key: str = ""


@dataclass
class Conversation:
    """One conversation read from a source, not yet checked."""

    source_id: str
    title: str = ""
    model: str = ""
    turns: list[Turn] = field(default_factory=list)
    branches: list[list[Turn]] = field(default_factory=list)
    system: str | None = None
    options: dict[str, Any] | None = None
    think: Think = None
    created_at: float | None = None
    updated_at: float | None = None
    left_out: int = 0
    """Messages of kinds termchat does not read, or branches past MAX_BRANCHES."""


@dataclass(frozen=True)
class Unreadable:
    """A conversation of the source that breaks a rule: what and why, to report."""

    reason: str


@dataclass
class ImportReport:
    """What one import did, and the sentence that says so."""

    source: str
    session_ids: list[str] = field(default_factory=list)
    messages: int = 0
    alternatives: int = 0
    already: int = 0
    empty: int = 0
    left_out: int = 0
    unreadable: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """E.g. "Imported 12 conversations (340 messages) from llm logs.db; skipped 2 already
        imported, 1 empty"."""
        count = len(self.session_ids)
        text = f"Imported {_count(count, 'conversation')} ({_count(self.messages, 'message')}"
        if self.alternatives:
            text += f", {_count(self.alternatives, 'message')} in other branches"
        text += f") from {self.source}"
        skipped = []
        if self.already:
            skipped.append(f"{self.already} already imported")
        if self.empty:
            skipped.append(f"{self.empty} empty")
        if self.unreadable:
            skipped.append(f"{len(self.unreadable)} unreadable")
        if skipped:
            text += "; skipped " + ", ".join(skipped)
        if self.left_out:
            text += f"; left out {_count(self.left_out, 'message')} of kinds termchat does not read"
        return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def split_think(text: str) -> tuple[str, str]:
    """(reasoning, answer) of a reply that starts with a `<think>…</think>` block."""
    found = _THINK.match(text)
    if found is None:
        return "", text
    return found.group(1).strip(), text[found.end() :]


def tool_call(name: Any, arguments: Any, call_id: Any = None) -> ToolCall:
    """A tool call from a source, checked as strictly as an imported termchat file's."""
    if not isinstance(arguments, dict):
        arguments = {} if arguments is None else {"input": arguments}
    try:  # YAML dates and the like become text: what JSON, and so a server, can carry
        arguments = json.loads(json.dumps(arguments, default=str, allow_nan=False))
    except (ValueError, RecursionError):
        raise Invalid("arguments cannot be written as JSON") from None
    raw: dict[str, Any] = {"function": {"name": name, "arguments": arguments}}
    if call_id is not None:
        raw["id"] = call_id if isinstance(call_id, str) else str(call_id)
    return check_tool_calls([raw])[0]


def text_of(value: Any, what: str, limit: int | None = None) -> str:
    """A text field of the source ("" for null), or Invalid naming `what`."""
    try:
        return check_text(value, limit) or ""
    except Invalid as exc:
        raise Invalid(f"{what} {exc}") from None


def options_of(value: Any) -> dict[str, Any] | None:
    """The model options termchat knows, taken from a source's settings; others are dropped."""
    kept = read_options(value)
    return kept or None


def _checked(turn: Turn, where: str) -> Message:
    m = turn.message
    for name, value, limit in (
        ("content", m.content, None),
        ("reasoning", m.thinking, None),
        ("tool name", m.tool_name, MAX_NAME),
        ("tool call id", m.tool_call_id, MAX_NAME),
        ("model", m.model, MAX_NAME),
    ):
        text_of(value, f"{where} {name}", limit)
    try:
        check_images(list(m.images))
        check_tool_calls([call.to_dict() for call in m.tool_calls])
        check_time(turn.created_at)
    except Invalid as exc:
        raise Invalid(f"{where} {exc}") from None
    return m


def _rows(conversation: Conversation, now: float) -> list[StoredMessage]:
    """The active path as generation 0, each other branch as a new generation from the place
    where it leaves the paths laid out before it."""
    rows: list[StoredMessage] = []
    placed: dict[tuple[tuple[int, int] | None, str], tuple[int, int]] = {}
    generations = 0
    paths = [conversation.turns, *conversation.branches]
    for number, path in enumerate(paths):
        parent: tuple[int, int] | None = None
        gen: int | None = None
        for seq, turn in enumerate(path):
            spot = (parent, turn.key or f"{number}:{seq}")
            if spot in placed:
                parent = placed[spot]
                continue
            if gen is None:
                gen, generations = generations, generations + 1
            message = _checked(turn, f"message {seq + 1}")
            when = turn.created_at if turn.created_at is not None else conversation.created_at
            rows.append(
                StoredMessage(
                    row_id=0,
                    seq=seq,
                    gen=gen,
                    parent_gen=None if parent is None else parent[1],
                    active=number == 0,
                    created_at=when if when is not None else now,
                    message=message,
                )
            )
            placed[spot] = parent = (seq, gen)
    return rows


def store_conversation(
    store: SessionStore, source: str, conversation: Conversation
) -> tuple[str, list[StoredMessage]]:
    """Check and store one conversation: its new id ("" when it was imported before) and the
    rows it is stored as (what the report counts, without reading them back).

    Raises:
        Invalid: a field breaks a rule (the conversation is not stored).
        StoreError: the database failed.
    """
    now = time.time()
    rows = _rows(conversation, now)
    try:
        created = check_time(conversation.created_at)
        updated = check_time(conversation.updated_at)
    except Invalid as exc:
        raise Invalid(f"its time {exc}") from None
    created = created if created is not None else min((r.created_at for r in rows), default=now)
    latest = max((r.created_at for r in rows), default=created)
    record = SessionRecord(
        id="",
        title=text_of(conversation.title[:MAX_TITLE], "its title"),
        model=text_of(conversation.model, "its model", MAX_NAME),
        system=text_of(conversation.system, "its system prompt") or None,
        options=conversation.options,
        think=conversation.think,
        created_at=created,
        updated_at=updated if updated is not None else latest,
    )
    source_id = text_of(conversation.source_id, "its id", 1000)
    try:
        return store.import_session(record, rows, origin=(source, source_id)), rows
    except StoreError as exc:
        if "invalid history" in str(exc):  # the source's branches do not form a tree
            raise Invalid(str(exc)) from None
        raise


def add_all(
    store: SessionStore,
    source: str,
    report: ImportReport,
    conversations: Sequence[Conversation | Unreadable] | Any,
) -> ImportReport:
    """Store each conversation a reader yields and count what happened in `report`."""
    for item in conversations:
        if isinstance(item, Unreadable):
            report.unreadable.append(item.reason)
            continue
        report.left_out += item.left_out
        if not item.turns:
            report.empty += 1
            continue
        try:
            new_id, rows = store_conversation(store, source, item)
        except Invalid as exc:
            report.unreadable.append(f"{describe(item)}: {exc}")
            continue
        if not new_id:
            report.already += 1
            continue
        report.session_ids.append(new_id)
        active = sum(1 for row in rows if row.active)
        report.messages += active
        report.alternatives += len(rows) - active
    return report


def describe(conversation: Conversation) -> str:
    """How a report names a conversation: its title, else its id in the source."""
    name = conversation.title or conversation.source_id
    return f"conversation “{name[:60]}”"
