"""A session's message history: append, load, update and non-destructive editing.

`MessageHistory` is mixed into `termchat.store.SessionStore`, which supplies the connection
(`_reading` / `_write` take the store's lock and turn sqlite3 failures into StoreError); this
module never imports sqlite3. The history model is described in the `termchat.store` docstring.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from termchat.errors import StoreError
from termchat.messages import Message
from termchat.store import blobs
from termchat.store.fields import read_json
from termchat.store.records import Alternative, SessionRecord, StoredMessage, check_tree
from termchat.store.records import default_title as _default_title
from termchat.store.schema import (
    ANCESTORS,
    IMAGES,
    INSERT_MESSAGE,
    MESSAGE_COLUMNS,
    SELECT_ROWS,
    UNFINISHED_WRITERS,
    dumps,
    message_values,
    stored_message,
)


class Cursor(Protocol):
    """The part of a DB-API cursor used here."""

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    def fetchone(self) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """The part of a DB-API connection used here."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...


class MessageHistory:
    """Message methods of SessionStore. Every session id also accepts a unique prefix."""

    path: Path

    def _reading(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _resolve(self, id_or_prefix: str) -> str:
        raise NotImplementedError

    def _new_id(self, conn: Any, created_at: float) -> str:
        raise NotImplementedError

    def append_message(self, session_id: str, message: Message) -> int:
        """Add `message` after the active history and commit it; returns its row id.

        It continues the generation of the last active row, or opens a new generation when that
        one already has a row at this position (after `truncate`). A user message also sets the
        default title if there is none yet.
        """
        with self._write() as conn:
            sid = self._resolve(session_id)
            return self._insert(conn, sid, self._tip(conn, sid), message)

    def append_after(
        self, session_id: str, parent: int | None, message: Message, *, in_progress: bool = False
    ) -> tuple[int, bool]:
        """Add `message` as the child of row `parent` (None: the first message); commit it.

        The writer names what it answers, so two processes writing one conversation never
        interleave: when `parent` is no longer the tip of the active history (another process
        wrote after it, or switched branches), the message starts a new branch after `parent`,
        and that branch becomes the active history. Returns (row id, whether it branched).

        `in_progress`: the row is a reply still streaming (see `checkpoint`); it is marked with
        this process's id until `update_message` completes it.
        """
        writer = os.getpid() if in_progress else 0
        with self._write() as conn:
            sid = self._resolve(session_id)
            if self._tip(conn, sid) == parent:
                return self._insert(conn, sid, parent, message, writer), False
            if parent is not None:
                owner = conn.execute(
                    "SELECT session_id FROM messages WHERE id = ?", (parent,)
                ).fetchone()
                if owner is None or owner[0] != sid:
                    raise StoreError(f"Conversation {sid} has no message {parent}")
            path = [] if parent is None else [row[0] for row in conn.execute(ANCESTORS, (parent,))]
            conn.execute(
                "UPDATE messages SET active = 0 WHERE session_id = ? AND active = 1", (sid,)
            )
            for row_id in path:
                conn.execute("UPDATE messages SET active = 1 WHERE id = ?", (row_id,))
            return self._insert(conn, sid, parent, message, writer), True

    @staticmethod
    def _tip(conn: Connection, sid: str) -> int | None:
        """The row id of the last message of the active history (None when it is empty)."""
        row = conn.execute(
            "SELECT id FROM messages WHERE session_id = ? AND active = 1 ORDER BY seq DESC LIMIT 1",
            (sid,),
        ).fetchone()
        return None if row is None else int(row[0])

    def _insert(
        self, conn: Connection, sid: str, parent: int | None, message: Message, writer: int = 0
    ) -> int:
        """Insert an active row after `parent` (which must be the active tip, or None)."""
        now = time.time()
        if parent is None:
            seq, gen = 0, 0
        else:
            seq, gen = conn.execute(
                "SELECT seq + 1, gen FROM messages WHERE id = ?", (parent,)
            ).fetchone()
        taken = conn.execute(
            "SELECT 1 FROM messages WHERE session_id = ? AND gen = ? AND seq = ?",
            (sid, gen, seq),
        ).fetchone()
        if taken:
            gen = conn.execute(
                "SELECT coalesce(max(gen), -1) + 1 FROM messages WHERE session_id = ?", (sid,)
            ).fetchone()[0]
        blobs.keep(conn, [message])
        cursor = conn.execute(
            INSERT_MESSAGE, (sid, seq, gen, parent, 1, now, writer, *message_values(message))
        )
        title = _default_title(message.content) if message.role == "user" else ""
        conn.execute(
            "UPDATE sessions SET updated_at = ?, auto_title = coalesce(auto_title, ?) WHERE id = ?",
            (now, title or None, sid),
        )
        return int(cursor.lastrowid or 0)

    def update_message(self, row_id: int, message: Message, *, in_progress: bool = False) -> None:
        """Replace the stored fields of row `row_id`; its place in the history is kept.

        For a reply saved while it streams (with `interrupted=True` and `in_progress`, so that
        a crash keeps what was saved of it) and completed when it ends (`in_progress` False).
        """
        sets = ", ".join(f"{column} = ?" for column in MESSAGE_COLUMNS)
        writer = os.getpid() if in_progress else 0
        with self._write() as conn:
            blobs.keep(conn, [message])
            cursor = conn.execute(
                f"UPDATE messages SET {sets}, writer = ? WHERE id = ?",
                (*message_values(message), writer, row_id),
            )
            if cursor.rowcount == 0:
                raise StoreError(f"No stored message {row_id} in {self.path}")
            conn.execute(
                "UPDATE sessions SET updated_at = ? WHERE id = "
                "(SELECT session_id FROM messages WHERE id = ?)",
                (time.time(), row_id),
            )

    def settle_unfinished(self) -> int:
        """Mark the rows whose writer died mid-reply as complete (they are saved interrupted
        already); returns how many. Rows of a termchat that still runs are left alone.

        Called on open; cheap when there is nothing to settle (an index holds the marked rows).
        """
        with self._reading() as conn:
            writers = [row[0] for row in conn.execute(UNFINISHED_WRITERS)]
        dead = [pid for pid in writers if not _alive(pid)]
        if not dead:
            return 0
        marks = ", ".join("?" * len(dead))
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE messages SET writer = 0, interrupted = 1 WHERE writer IN ({marks})", dead
            )
            return cursor.rowcount

    @staticmethod
    def _rows(conn: Connection, where: str, params: Sequence[Any]) -> list[StoredMessage]:
        return _with_blobs(conn, list(conn.execute(SELECT_ROWS + where, params)))

    def load_rows(self, session_id: str, *, include_inactive: bool = False) -> list[StoredMessage]:
        """The active history as rows, in order; `include_inactive`: every row, by (seq, gen)."""
        with self._reading() as conn:
            sid = self._resolve(session_id)
            if include_inactive:
                return self._rows(conn, "m.session_id = ? ORDER BY m.seq, m.gen", (sid,))
            return self._rows(conn, "m.session_id = ? AND m.active = 1 ORDER BY m.seq", (sid,))

    def load_tail(self, session_id: str, count: int) -> tuple[list[StoredMessage], int]:
        """The last `count` rows of the active history, in order, and how many come before
        them (see `load_before`): what resume reads of a long conversation at once."""
        with self._reading() as conn:
            sid = self._resolve(session_id)
            rows = self._rows(
                conn, "m.session_id = ? AND m.active = 1 ORDER BY m.seq DESC LIMIT ?", (sid, count)
            )
            rows.reverse()
            if not rows:
                return rows, 0
            before = conn.execute(
                "SELECT count(*) FROM messages WHERE session_id = ? AND active = 1 AND seq < ?",
                (sid, rows[0].seq),
            ).fetchone()[0]
            return rows, int(before)

    def load_before(self, session_id: str, row_id: int) -> list[StoredMessage]:
        """The rows before row `row_id` in its branch, in order: the active history before it,
        or, when another termchat has changed that meanwhile, its own ancestors."""
        with self._reading() as conn:
            prefix, where, params = self._before(conn, self._resolve(session_id), row_id)
            found = conn.execute(prefix + SELECT_ROWS + where + " ORDER BY m.seq", params)
            return _with_blobs(conn, list(found))

    def count_replies(self, session_id: str, row_id: int) -> int:
        """How many assistant replies come before row `row_id` in its branch."""
        with self._reading() as conn:
            query, params = self.replies_query(conn, self._resolve(session_id), row_id)
            return int(conn.execute(query, params).fetchone()[0])

    @classmethod
    def replies_query(cls, conn: Connection, sid: str, row_id: int) -> tuple[str, tuple[Any, ...]]:
        """The query counting the replies before `row_id` in session `sid`, its parameters."""
        prefix, where, params = cls._before(conn, sid, row_id)
        query = f"{prefix}SELECT count(*) FROM messages m WHERE {where} AND m.role = ?"
        return query, (*params, "assistant")

    @staticmethod
    def _before(conn: Connection, sid: str, row_id: int) -> tuple[str, str, tuple[Any, ...]]:
        """(WITH prefix, condition on `m`, parameters) selecting the rows before `row_id`."""
        row = conn.execute("SELECT parent_id, seq FROM messages WHERE id = ?", (row_id,)).fetchone()
        parent, seq = (None, 0) if row is None else (row[0], row[1])
        tip = conn.execute(
            "SELECT id FROM messages WHERE session_id = ? AND active = 1 AND seq = ?",
            (sid, seq - 1),
        ).fetchone()
        if tip is not None and tip[0] == parent:  # the usual case: the active history
            return "", "m.session_id = ? AND m.active = 1 AND m.seq < ?", (sid, seq)
        chain = (
            "WITH RECURSIVE chain(id, parent_id) AS ("
            "SELECT id, parent_id FROM messages WHERE id = ? "
            "UNION ALL SELECT m.id, m.parent_id FROM messages m "
            "JOIN chain c ON m.id = c.parent_id) "
        )
        return chain, "m.id IN (SELECT id FROM chain)", (parent,)

    def load_messages(self, session_id: str) -> list[Message]:
        """The active history, in order: what is shown and sent back to the model on resume."""
        return [row.message for row in self.load_rows(session_id)]

    def truncate(self, session_id: str, keep: int, *, undo: bool = False) -> int:
        """Deactivate the active rows at positions >= `keep` (none is deleted); returns how many.

        With `undo`, the first of them is marked cut: switching back to its branch later (see
        `activate`) stops before it, so an undone exchange never comes back by itself.
        """
        if keep < 0:
            raise ValueError("keep must be >= 0")
        with self._write() as conn:
            sid = self._resolve(session_id)
            if undo:
                conn.execute(
                    "UPDATE messages SET cut = 1 WHERE session_id = ? AND active = 1 AND seq = ?",
                    (sid, keep),
                )
            cursor = conn.execute(
                "UPDATE messages SET active = 0 WHERE session_id = ? AND active = 1 AND seq >= ?",
                (sid, keep),
            )
            conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (time.time(), sid))
            return cursor.rowcount

    @staticmethod
    def _run_end(conn: Connection, sid: str, gen: int, seq: int) -> int | None:
        """The first position after `seq` where generation `gen` was cut by /undo, if any."""
        row = conn.execute(
            "SELECT min(seq) FROM messages "
            "WHERE session_id = ? AND gen = ? AND seq > ? AND cut = 1",
            (sid, gen, seq),
        ).fetchone()
        return None if row is None else row[0]

    @staticmethod
    def _parent_at(conn: Connection, sid: str, seq: int) -> tuple[bool, int | None]:
        """(found, id) of the active row at seq - 1; (True, None) at seq 0."""
        if seq <= 0:
            return True, None
        row = conn.execute(
            "SELECT id FROM messages WHERE session_id = ? AND active = 1 AND seq = ?",
            (sid, seq - 1),
        ).fetchone()
        return (row is not None, None if row is None else row[0])

    def alternatives(self, session_id: str, seq: int) -> list[Alternative]:
        """The generations that continue the active history at position `seq`, oldest first.

        Each is the row at `seq` whose parent is the active row at `seq - 1`; at most one is
        active. Empty when the history is shorter than `seq`.
        """
        with self._reading() as conn:
            sid = self._resolve(session_id)
            found, parent = self._parent_at(conn, sid, seq)
            if not found:
                return []
            where = "m.session_id = ? AND m.seq = ? AND m.parent_id IS ? ORDER BY m.gen"
            out = []
            for row in self._rows(conn, where, (sid, seq, parent)):
                end = self._run_end(conn, sid, row.gen, seq)
                length = conn.execute(
                    "SELECT count(*) FROM messages WHERE session_id = ? AND gen = ? AND seq >= ? "
                    "AND (? IS NULL OR seq < ?)",
                    (sid, row.gen, seq, end, end),
                ).fetchone()[0]
                out.append(
                    Alternative(
                        row.gen, seq, row.row_id, row.active, row.created_at, length, row.message
                    )
                )
            return out

    def activate(self, session_id: str, seq: int, gen: int) -> None:
        """Make generation `gen` the history from position `seq` on (see `alternatives`).

        The branch comes back as far as it went, except what /undo cut from it (`truncate`).
        """
        with self._write() as conn:
            sid = self._resolve(session_id)
            found, parent = self._parent_at(conn, sid, seq)
            target = conn.execute(
                "SELECT 1 FROM messages "
                "WHERE session_id = ? AND seq = ? AND gen = ? AND parent_id IS ?",
                (sid, seq, gen, parent),
            ).fetchone()
            if not found or target is None:
                raise StoreError(f"Conversation {sid} has no alternative {gen} at message {seq}")
            conn.execute(
                "UPDATE messages SET active = 0 WHERE session_id = ? AND active = 1 AND seq >= ?",
                (sid, seq),
            )
            end = self._run_end(conn, sid, gen, seq)
            conn.execute(
                "UPDATE messages SET active = 1, cut = CASE WHEN seq = ? THEN 0 ELSE cut END "
                "WHERE session_id = ? AND gen = ? AND seq >= ? AND (? IS NULL OR seq < ?)",
                (seq, sid, gen, seq, end, end),
            )
            conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (time.time(), sid))

    def import_session(
        self,
        session: SessionRecord,
        rows: Sequence[StoredMessage],
        origin: tuple[str, str] | None = None,
    ) -> str:
        """Store a whole session (e.g. from an export) under a new id in one transaction.

        `session.id` and each `row_id` are ignored; everything else, timestamps included, is
        kept. Returns the new id. With `origin` (source, id there), a conversation imported
        from there before is not stored again: the result is "" then.

        Raises:
            StoreError: the rows do not form a valid history (see `check_tree`).
        """
        check_tree(rows)
        ordered = sorted(rows, key=lambda r: (r.seq, r.gen))  # parents before children
        users = (r.message.content for r in ordered if r.active and r.message.role == "user")
        auto_title = _default_title(next(users, "")) or None
        with self._write() as conn:
            if origin is not None:
                seen = "SELECT 1 FROM imports WHERE source = ? AND source_id = ?"
                if conn.execute(seen, origin).fetchone() is not None:
                    return ""
            sid = self._new_id(conn, session.created_at)
            conn.execute(
                "INSERT INTO sessions (id, title, auto_title, model, system, options, think, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sid,
                    session.title or None,
                    auto_title,
                    session.model,
                    session.system,
                    dumps(session.options),
                    dumps(session.think),
                    session.created_at,
                    session.updated_at,
                ),
            )
            ids: dict[tuple[int, int], int] = {}
            blobs.keep(conn, (row.message for row in ordered))
            for row in ordered:
                parent = None if row.parent_gen is None else ids[(row.seq - 1, row.parent_gen)]
                values = (sid, row.seq, row.gen, parent, int(row.active), row.created_at, 0)
                cursor = conn.execute(INSERT_MESSAGE, (*values, *message_values(row.message)))
                ids[(row.seq, row.gen)] = int(cursor.lastrowid or 0)
            if origin is not None:
                conn.execute(
                    "INSERT INTO imports (source, source_id, session_id, imported_at) "
                    "VALUES (?, ?, ?, ?)",
                    (*origin, sid, time.time()),
                )
        return sid


def _with_blobs(conn: Connection, found: list[Any]) -> list[StoredMessage]:
    """SELECT_ROWS rows as records, their attachments' contents read in one go."""
    contents = blobs.fetch(conn, [read_json(row[IMAGES]) for row in found])
    return [stored_message(row, contents) for row in found]


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (on this machine). A reused id reads as alive: the row then
    waits for a later open, and it is saved as interrupted meanwhile anyway."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OverflowError:  # not a process id at all
        return False
    return True
