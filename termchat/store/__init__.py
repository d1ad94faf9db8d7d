"""The session database: every conversation and message in one SQLite file (the only sqlite3 user).

`SessionStore` opens the file and owns sessions; its message methods come from
`termchat.store.history`, records from `termchat.store.records` and the schema from
`termchat.store.schema` (all sqlite3-free; everything runs through this module's connection).

Model. A session holds its settings (model, system prompt, options, think, title) and message rows.
Each row has a position `seq` in the conversation, a generation (branch) id `gen`, a `parent_id`
(the row before it when it was written) and an `active` flag; the history is the active rows in
`seq` order and always forms one parent chain from position 0. Rows are never rewritten by history
edits: `truncate` deactivates a suffix (/undo), and the next `append_message` continues the branch
of the last active row, or forks a new generation when that branch already has a row at the new
position (so /retry and /edit are "truncate, then append"). A generation is therefore one unbroken
run of positions. `alternatives(seq)` lists the rows at `seq` whose parent is the active row at
`seq - 1` (one per generation); `activate(seq, gen)` swaps the active suffix for that generation's
rows. Inactive rows stay stored, searchable and exportable.

Durability. WAL journal, `synchronous=FULL`, `BEGIN IMMEDIATE` for every write, one transaction per
message or setting change, a busy timeout for concurrent processes, files created 0600 (see
`termchat.store.database`). A streaming reply is saved while it streams, in one row updated in
place and marked with its writer's process id until it ends (`checkpoint`); a row whose writer
died is settled as interrupted on the next open. Schema versions live in `PRAGMA user_version`;
`MIGRATIONS[i]` moves version i to i + 1. Every sqlite3 failure leaves as a one-line
`StoreError` naming the file and what to do. Values written by an older termchat that checked
less are read safely (`termchat.store.fields`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from termchat.errors import StoreError
from termchat.store import blobs
from termchat.store.database import connect, store_error
from termchat.store.history import MessageHistory
from termchat.store.records import (
    MARK_END,
    MARK_START,
    UNSET,
    Alternative,
    SearchHit,
    SessionRecord,
    SessionSummary,
    StoredMessage,
    Think,
    Unset,
)
from termchat.store.schema import (
    ANCESTORS,
    SELECT_SESSION,
    VALID_TIME,
    dumps,
    list_query,
    search_hit,
    search_query,
    session_record,
    session_summary,
)

__all__ = [
    "MARK_END",
    "MARK_START",
    "UNSET",
    "Alternative",
    "SearchHit",
    "SessionRecord",
    "SessionStore",
    "SessionSummary",
    "StoredMessage",
    "Think",
    "Unset",
]

ID_ALPHABET: Final = "0123456789abcdefghjkmnpqrstvwxyz"
"""Session ids are lowercase base32 without the letters that look like digits (i, l, o, u)."""
ID_LENGTH: Final = 8
SHORT_ID: Final = 4
"""A new id's first four characters are unique in the database: enough to type."""


class SessionStore(MessageHistory):
    """An open session database. Every method that takes a session id accepts a unique prefix.

    Use `SessionStore.open(path)`; close with `close()` or a `with` block. Methods are safe to call
    from several threads (they are serialized) and from several processes (SQLite locking).
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        """Wrap an open connection; use `SessionStore.open` instead."""
        self.path = path
        self._conn = conn
        self._lock = threading.RLock()

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> SessionStore:
        """Open (creating if needed) the database at `path` and bring its schema up to date.

        A reply a termchat was still streaming when it died (kill -9, a crash, power loss) is
        settled now: it stays, marked interrupted, with what was saved of it.

        Raises:
            StoreError: the file or folder cannot be created, read or written, or is not a
                termchat database.
        """
        path = Path(path).expanduser()
        store = cls(path, connect(path))
        if not os.access(path, os.W_OK):
            return store  # read as it is: an unfinished reply is saved interrupted already
        try:
            store.settle_unfinished()
        except StoreError:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Close the database; later calls raise StoreError."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the store's lock, with sqlite3 failures as StoreError."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise store_error(self.path, exc) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken IMMEDIATE so concurrent writers queue on busy_timeout.

        Commits when the block ends, rolls back if it raises; failures come out as StoreError.
        """
        with self._reading() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # the original error matters more
                        conn.execute("ROLLBACK")
                raise

    # --- sessions ------------------------------------------------------------------------

    def _resolve(self, id_or_prefix: str) -> str:
        key = id_or_prefix.strip().lower()
        if not key:
            raise StoreError("No conversation id given")
        rows = self._conn.execute(
            "SELECT id FROM sessions WHERE id = ? UNION ALL "
            "SELECT * FROM (SELECT id FROM sessions WHERE id > ? AND id < ? ORDER BY id LIMIT 3)",
            (key, key, key + "\U0010ffff"),
        ).fetchall()
        if not rows:
            raise StoreError(
                f"No saved conversation matches '{id_or_prefix}' (see: termchat sessions list)"
            )
        if rows[0][0] == key or len(rows) == 1:
            return str(rows[0][0])
        shown = ", ".join(row[0] for row in rows[:2]) + (", …" if len(rows) > 2 else "")
        raise StoreError(
            f"'{id_or_prefix}' matches several conversations ({shown}); type more of the id"
        )

    def create_session(
        self,
        model: str,
        system: str | None = None,
        options: dict[str, Any] | None = None,
        think: Think = None,
        title: str | None = None,
        kind: str = "chat",
        preset: str | None = None,
    ) -> SessionRecord:
        """Start a new, empty session and commit it (`kind`: "chat" or "oneshot"; `preset`:
        the preset it starts with)."""
        now = time.time()
        with self._write() as conn:
            session_id = self._new_id(conn, now)
            conn.execute(
                "INSERT INTO sessions (id, title, model, system, options, think, created_at, "
                "updated_at, kind, preset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    title or None,
                    model,
                    system,
                    dumps(options),
                    dumps(think),
                    now,
                    now,
                    kind,
                    preset,
                ),
            )
            return self._get(conn, session_id)

    def _new_id(self, conn: sqlite3.Connection, created_at: float) -> str:
        """A random id whose first SHORT_ID characters no other conversation starts with, so
        that a few typed characters always find it (older, longer ids keep working)."""
        while True:
            session_id = "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
            short = session_id[:SHORT_ID]
            clash = conn.execute(
                "SELECT 1 FROM sessions WHERE id >= ? AND id < ? LIMIT 1", (short, short + "\uffff")
            ).fetchone()
            if clash is None:
                return session_id

    @staticmethod
    def _get(conn: sqlite3.Connection, session_id: str) -> SessionRecord:
        row = conn.execute(SELECT_SESSION + "WHERE s.id = ?", (session_id,)).fetchone()
        return session_record(row)

    def get_session(self, id_or_prefix: str) -> SessionRecord:
        """The session with this id or unique id prefix; StoreError if none or several match."""
        with self._reading() as conn:
            return self._get(conn, self._resolve(id_or_prefix))

    def latest_session(self, *, chats_first: bool = False) -> SessionRecord | None:
        """The most recently updated session, or None when there is none.

        With `chats_first`, the most recent chat (REPL) wins over any one-shot (-p) run.
        """
        with self._reading() as conn:
            # A time out of range (left by an older importer) must not win for ever.
            valid = VALID_TIME.format(column="s.updated_at")
            order = "s.kind = 'chat' DESC, " if chats_first else ""
            latest = f"WHERE {valid} ORDER BY {order}s.updated_at DESC, s.id DESC LIMIT 1"
            row = conn.execute(SELECT_SESSION + latest).fetchone()
        return None if row is None else session_record(row)

    def update_session(
        self,
        session_id: str,
        *,
        model: str | Unset = UNSET,
        system: str | Unset | None = UNSET,
        options: dict[str, Any] | Unset | None = UNSET,
        think: Think | Unset = UNSET,
        title: str | Unset | None = UNSET,
        preset: str | Unset | None = UNSET,
    ) -> SessionRecord:
        """Change only the given settings and commit at once. `title=None` restores the default."""
        changes: dict[str, Any] = {}
        if not isinstance(model, Unset):
            changes["model"] = model
        if not isinstance(system, Unset):
            changes["system"] = system
        if not isinstance(options, Unset):
            changes["options"] = dumps(options)
        if not isinstance(think, Unset):
            changes["think"] = dumps(think)
        if not isinstance(title, Unset):
            changes["title"] = title or None
        if not isinstance(preset, Unset):
            changes["preset"] = preset
        with self._write() as conn:
            sid = self._resolve(session_id)
            sets = "".join(f"{column} = ?, " for column in changes)
            conn.execute(
                f"UPDATE sessions SET {sets}updated_at = ? WHERE id = ?",
                (*changes.values(), time.time(), sid),
            )
            return self._get(conn, sid)

    def rename(self, session_id: str, title: str | None) -> SessionRecord:
        """Set the title; None or "" restores the default (start of the first user message)."""
        return self.update_session(session_id, title=title)

    def delete_session(self, session_id: str) -> None:
        """Delete a session and all its messages."""
        with self._write() as conn:
            conn.execute("DELETE FROM sessions WHERE id = ?", (self._resolve(session_id),))
            blobs.forget_unused(conn)

    def list_sessions(
        self, limit: int | None = 50, query: str | None = None, *, chats_first: bool = False
    ) -> list[SessionSummary]:
        """Sessions, most recently updated first (chats before one-shots with `chats_first`);
        `limit=None` lists all.

        `query` keeps the sessions whose title or id contains it, or any of whose messages
        (content or reasoning, any generation) holds all its words, the last one as a prefix:
        what a picker that filters as you type needs.
        """
        sql, params = list_query(limit, query, chats_first)
        with self._reading() as conn:
            return [session_summary(row) for row in conn.execute(sql, params)]

    def session_preset(self, session_id: str) -> str | None:
        """The preset the conversation was started with or last switched to, if any."""
        with self._reading() as conn:
            sid = self._resolve(session_id)
            row = conn.execute("SELECT preset FROM sessions WHERE id = ?", (sid,)).fetchone()
            return row[0] if row is not None and isinstance(row[0], str) else None

    def cut_rows(self, session_id: str) -> set[int]:
        """The ids of the rows /undo cut (each starts a run that was undone), for /tree."""
        with self._reading() as conn:
            sid = self._resolve(session_id)
            found = conn.execute("SELECT id FROM messages WHERE session_id = ? AND cut = 1", (sid,))
            return {int(row[0]) for row in found}

    def activate_path(self, session_id: str, row_id: int) -> None:
        """Make the branch that ends at row `row_id` the active history (/tree N): that row and
        every row before it; nothing after it. Cut marks stay, so the tree keeps its shape.

        Raises:
            StoreError: the conversation has no such row.
        """
        with self._write() as conn:
            sid = self._resolve(session_id)
            owner = conn.execute("SELECT session_id FROM messages WHERE id = ?", (row_id,))
            found = owner.fetchone()
            if found is None or found[0] != sid:
                raise StoreError(f"Conversation {sid} has no message {row_id}")
            path = [row[0] for row in conn.execute(ANCESTORS, (row_id,))]
            conn.execute(
                "UPDATE messages SET active = 0 WHERE session_id = ? AND active = 1", (sid,)
            )
            for ancestor in path:
                conn.execute("UPDATE messages SET active = 1 WHERE id = ?", (ancestor,))
            conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (time.time(), sid))

    def search(self, text: str, limit: int = 50, *, prefix: bool = False) -> list[SearchHit]:
        """Conversations with a message whose content or reasoning holds every word of `text`:
        one hit each (its best message of the active history), best match first.

        Words are matched literally (punctuation is safe). Each snippet marks the matched words as
        MARK_START + word + MARK_END, that is "\\x02" and "\\x03". With `prefix`, the last
        word also matches longer words (for a search that runs as the user types).
        """
        query = search_query(text, limit, prefix=prefix)
        if query is None:
            return []
        with self._reading() as conn:
            return [search_hit(row) for row in conn.execute(*query)]
