"""Plain values the session store takes and returns, and the pure rules behind them."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from termchat.errors import StoreError
from termchat.messages import Message, Role, Think

MARK_START: Final = "\x02"
MARK_END: Final = "\x03"
"""Search snippets wrap each matched word in MARK_START ... MARK_END (STX/ETX)."""

TITLE_LENGTH: Final = 50

"""Ollama's `think`: True / False / "low" | "medium" | "high" | "max", or None for "not set"."""


class Unset(enum.Enum):
    """Type of `UNSET`, the "argument not given" marker of `SessionStore.update_session`."""

    UNSET = "UNSET"


UNSET: Final = Unset.UNSET


@dataclass(frozen=True)
class SessionRecord:
    """A session's settings. `title` is the explicit title, else the default one, else ""."""

    id: str
    title: str
    model: str
    system: str | None
    options: dict[str, Any] | None
    think: Think
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class SessionSummary:
    """One line of a session list; `messages` counts the active history."""

    id: str
    title: str
    model: str
    created_at: float
    updated_at: float
    messages: int
    kind: str = "chat"

    def to_dict(self) -> dict[str, Any]:
        """The form `termchat sessions list --json` prints."""
        return {
            "id": self.id,
            "title": self.title,
            "model": self.model,
            "kind": self.kind,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "messages": self.messages,
        }


@dataclass(frozen=True)
class SearchHit:
    """One message matching a search; `snippet` marks matches with MARK_START/MARK_END."""

    session_id: str
    session_title: str
    row_id: int
    seq: int
    role: Role
    active: bool
    field: Literal["content", "thinking"]
    snippet: str
    created_at: float


@dataclass(frozen=True)
class StoredMessage:
    """A message row and its place in the history tree.

    `parent_gen` is the generation of the row before it (None at seq 0). `row_id` is ignored
    when rows are given to `SessionStore.import_session`. `in_progress`: a termchat that is
    still running is streaming into this row (its message is saved as interrupted until the
    reply ends).
    """

    row_id: int
    seq: int
    gen: int
    parent_gen: int | None
    active: bool
    created_at: float
    message: Message
    in_progress: bool = False


@dataclass(frozen=True)
class Alternative:
    """One generation that continues the active history at `seq`, `length` rows long from there."""

    gen: int
    seq: int
    row_id: int
    active: bool
    created_at: float
    length: int
    message: Message


def default_title(content: str) -> str:
    """The first non-blank line of `content`, cut to about TITLE_LENGTH characters at a word."""
    line = next((ln.strip() for ln in content.splitlines() if ln.strip()), "")
    if len(line) <= TITLE_LENGTH:
        return line
    head = line[:TITLE_LENGTH]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip() + "…"


def fts_query(text: str, *, prefix: bool = False) -> str | None:
    """Quote user text as an FTS5 query in which every word must match; None if no word.

    Each word becomes a quoted phrase, so punctuation and FTS operators are taken literally.
    With `prefix`, the last word also matches longer words (for filtering as you type).
    """
    words = ['"' + word.replace('"', '""') + '"' for word in text.split()]
    if not words:
        return None
    if prefix:
        words[-1] += "*"
    return " ".join(words)


def check_tree(rows: Sequence[StoredMessage]) -> None:
    """Check that rows form a valid history tree (see the `termchat.store` docstring).

    Each (seq, gen) is unique; a row's parent is (seq - 1, parent_gen); a generation is one
    unbroken run of positions (it starts once; parent_gen == gen exactly when (seq - 1, gen)
    exists); the active rows hold positions 0..n-1 and each one's parent is active.

    Raises:
        StoreError: naming the first row that breaks a rule.
    """
    by_key: dict[tuple[int, int | None], StoredMessage] = {}
    for row in rows:
        if row.seq < 0 or row.gen < 0:
            raise StoreError(f"invalid history: negative seq or gen at seq {row.seq}")
        if (row.seq, row.gen) in by_key:
            raise StoreError(f"invalid history: two rows at seq {row.seq} in generation {row.gen}")
        by_key[(row.seq, row.gen)] = row
    for row in rows:
        where = f"invalid history: the row at seq {row.seq}, generation {row.gen}"
        if row.seq == 0:
            if row.parent_gen is not None:
                raise StoreError(f"{where} cannot have a parent_gen")
            continue
        parent = by_key.get((row.seq - 1, row.parent_gen)) if row.parent_gen is not None else None
        if parent is None:
            raise StoreError(f"{where} has no parent at seq {row.seq - 1}")
        if (row.parent_gen == row.gen) != ((row.seq - 1, row.gen) in by_key):
            raise StoreError(f"{where} breaks its generation's run of positions")
        if row.active and not parent.active:
            raise StoreError(f"{where} is active but its parent is not")
    starts: dict[int, int] = {}
    for row in rows:
        if row.parent_gen != row.gen:
            starts[row.gen] = starts.get(row.gen, 0) + 1
            if starts[row.gen] > 1:
                raise StoreError(f"invalid history: generation {row.gen} starts twice")
    active = sorted(row.seq for row in rows if row.active)
    if active != list(range(len(active))):
        raise StoreError(
            "invalid history: the active rows must hold positions 0, 1, 2, … once each"
        )
