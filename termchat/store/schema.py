"""The session database schema: ordered migrations, query text, and rows <-> records.

Pure text and data: `termchat.store` is the one module that executes any of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from termchat.messages import Message
from termchat.store import blobs
from termchat.store.fields import (
    MAX_TIME,
    read_images,
    read_json,
    read_optional_text,
    read_options,
    read_stats,
    read_text,
    read_think,
    read_time,
    read_tool_calls,
)
from termchat.store.records import (
    MARK_END,
    MARK_START,
    SearchHit,
    SessionRecord,
    SessionSummary,
    StoredMessage,
    fts_query,
)

VALID_TIME: Final = "typeof({column}) IN ('integer', 'real') AND {column} BETWEEN 0 AND " + repr(
    MAX_TIME
)
"""SQL: the column holds a time `termchat.store.fields` accepts (format it with `column`)."""

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    # 0 -> 1: sessions and message rows (see the termchat.store docstring for seq/gen/active).
    (
        """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            title TEXT,
            auto_title TEXT,
            model TEXT NOT NULL,
            system TEXT,
            options TEXT,
            think TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL)""",
        "CREATE INDEX sessions_updated ON sessions(updated_at, id)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            gen INTEGER NOT NULL,
            parent_id INTEGER,
            active INTEGER NOT NULL,
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            thinking TEXT NOT NULL,
            tool_calls TEXT,
            tool_name TEXT,
            tool_call_id TEXT,
            images TEXT,
            model TEXT,
            stats TEXT,
            interrupted INTEGER NOT NULL,
            error TEXT,
            created_at REAL NOT NULL)""",
        "CREATE UNIQUE INDEX messages_branch ON messages(session_id, gen, seq)",
        "CREATE INDEX messages_position ON messages(session_id, seq, parent_id)",
        "CREATE UNIQUE INDEX messages_history ON messages(session_id, seq) WHERE active = 1",
    ),
    # 1 -> 2: full-text index over content and reasoning, kept in sync by triggers.
    (
        """CREATE VIRTUAL TABLE messages_fts USING fts5(
            content, thinking, content='messages', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2')""",
        """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts(rowid, content, thinking)
            VALUES (new.id, new.content, new.thinking);
        END""",
        """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content, thinking)
            VALUES ('delete', old.id, old.content, old.thinking);
        END""",
        """CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, thinking ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content, thinking)
            VALUES ('delete', old.id, old.content, old.thinking);
            INSERT INTO messages_fts(rowid, content, thinking)
            VALUES (new.id, new.content, new.thinking);
        END""",
        "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
    ),
    # 2 -> 3: `cut` marks the first row of a run that /undo dropped, so that switching back to
    # its branch (/alt) stops there: what was undone comes back only when asked for by name.
    ("ALTER TABLE messages ADD COLUMN cut INTEGER NOT NULL DEFAULT 0",),
    # 3 -> 4: `writer` is the process id of a termchat still streaming into the row (a reply
    # saved in progress, see `MessageHistory.checkpoint`), 0 once it is complete. And times that
    # an older importer let in (1e300, negative, not a number) are set to 0, so that they can
    # neither break a list nor make their conversation the "latest" for ever.
    (
        "ALTER TABLE messages ADD COLUMN writer INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX messages_writing ON messages(writer) WHERE writer != 0",
        *(
            f"UPDATE {table} SET {column} = 0 WHERE NOT ({VALID_TIME.format(column=column)})"
            for table, column in (
                ("sessions", "created_at"),
                ("sessions", "updated_at"),
                ("messages", "created_at"),
            )
        ),
    ),
    # 4 -> 5: what kind of conversation it is: "chat" (the REPL) or "oneshot" (-p, a pipe), so
    # that --continue and the picker can prefer chats.
    ("ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat'",),
    # 5 -> 6: where an imported conversation came from (a source and its own id there), so
    # that importing the same file again adds nothing. Deleting the conversation forgets it.
    (
        """CREATE TABLE IF NOT EXISTS imports (
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            imported_at REAL NOT NULL,
            PRIMARY KEY (source, source_id))""",
        "CREATE INDEX IF NOT EXISTS imports_session ON imports(session_id)",
    ),
    # 6 -> 7: the preset the conversation was started with or switched to (--preset, /preset).
    ("ALTER TABLE sessions ADD COLUMN preset TEXT",),
    # 7 -> 8: attached files, each content once (see `termchat.store.blobs`).
    (blobs.CREATE_TABLE,),
    # 8 -> 9: the replies of a history counted from an index alone (`count_replies`: the
    # number of a resumed conversation's first shown reply), not row by row from the table.
    # `active` is in the columns though the index holds only active rows: without it SQLite
    # does not see that the index covers `m.active = 1` and reads every row again.
    ("CREATE INDEX messages_replies ON messages(session_id, role, seq, active) WHERE active = 1",),
)
"""MIGRATIONS[i] takes a database from `PRAGMA user_version` i to i + 1."""

MESSAGE_COLUMNS: Final = (
    "role",
    "content",
    "thinking",
    "tool_calls",
    "tool_name",
    "tool_call_id",
    "images",
    "model",
    "stats",
    "interrupted",
    "error",
)
"""The columns holding a Message's fields, in `message_values` order."""

IMAGES: Final = 7 + MESSAGE_COLUMNS.index("images")
"""Where the `images` column is in a SELECT_ROWS row."""

INSERT_MESSAGE: Final = (
    "INSERT INTO messages (session_id, seq, gen, parent_id, active, created_at, writer, "
    f"{', '.join(MESSAGE_COLUMNS)}) VALUES ({', '.join('?' * (7 + len(MESSAGE_COLUMNS)))})"
)
"""Parameters: session_id, seq, gen, parent_id, active, created_at, writer,
*message_values(message)."""

SELECT_ROWS: Final = (
    "SELECT m.id, m.seq, m.gen, p.gen, m.active, m.created_at, m.writer, "
    + ", ".join(f"m.{column}" for column in MESSAGE_COLUMNS)
    + " FROM messages m LEFT JOIN messages p ON p.id = m.parent_id WHERE "
)
"""Prefix of a query for `stored_message` rows; the caller adds the condition and order."""

ANCESTORS: Final = (
    "WITH RECURSIVE chain(id, parent_id) AS ("
    "SELECT id, parent_id FROM messages WHERE id = ? "
    "UNION ALL SELECT m.id, m.parent_id FROM messages m JOIN chain c ON m.id = c.parent_id) "
    "SELECT id FROM chain"
)
"""A row and every row before it in its branch (parameter: the row id)."""

UNFINISHED_WRITERS: Final = "SELECT DISTINCT writer FROM messages WHERE writer != 0"
"""Process ids of termchats that saved a reply in progress and did not complete it (yet)."""

TITLE: Final = "COALESCE(NULLIF(s.title, ''), s.auto_title, '')"
SELECT_SESSION: Final = (
    f"SELECT s.id, {TITLE}, s.model, s.system, s.options, s.think, s.created_at, s.updated_at "
    "FROM sessions s "
)
"""Prefix of a query for `session_record` rows."""


def dumps(value: Any) -> str | None:
    """JSON text for a column, or NULL for None."""
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def message_values(message: Message) -> tuple[Any, ...]:
    """A Message as values for MESSAGE_COLUMNS (empty lists and missing stats stored as NULL)."""
    return (
        message.role,
        message.content,
        message.thinking,
        dumps([call.to_dict() for call in message.tool_calls] or None),
        message.tool_name,
        message.tool_call_id,
        dumps([*message.images, *blobs.refs(message)] or None),
        message.model,
        dumps(message.stats.to_dict() if message.stats is not None else None),
        int(message.interrupted),
        message.error,
    )


def message_from_values(values: Sequence[Any], found: blobs.Blobs | None = None) -> Message:
    """Inverse of `message_values`, with the attachments' contents taken from `found`; a field
    that is not valid (see `termchat.store.fields`) reads as empty."""
    (
        role,
        content,
        thinking,
        calls,
        tool_name,
        tool_call_id,
        images,
        model,
        stats,
        interrupted,
        error,
    ) = values
    images = read_json(images)
    return Message(
        role=role,
        content=read_text(content),
        thinking=read_text(thinking),
        tool_calls=read_tool_calls(read_json(calls)),
        tool_name=read_optional_text(tool_name),
        tool_call_id=read_optional_text(tool_call_id),
        images=read_images(images),
        attachments=blobs.attachments_of(images, found or {}),
        model=read_optional_text(model),
        stats=read_stats(read_json(stats)),
        interrupted=bool(interrupted),
        error=read_optional_text(error),
    )


def stored_message(row: Sequence[Any], found: blobs.Blobs | None = None) -> StoredMessage:
    """A SELECT_ROWS row as a record (attachments' contents from `found`, see `blobs.fetch`)."""
    return StoredMessage(
        row_id=row[0],
        seq=row[1],
        gen=row[2],
        parent_gen=row[3],
        active=bool(row[4]),
        created_at=read_time(row[5]),
        in_progress=bool(row[6]),
        message=message_from_values(row[7:], found),
    )


def session_record(row: Sequence[Any]) -> SessionRecord:
    """A SELECT_SESSION row as a record."""
    return SessionRecord(
        id=row[0],
        title=read_text(row[1]),
        model=read_text(row[2]),
        system=read_optional_text(row[3]),
        options=read_options(read_json(row[4])),
        think=read_think(read_json(row[5])),
        created_at=read_time(row[6]),
        updated_at=read_time(row[7]),
    )


def list_query(
    limit: int | None, query: str | None, chats_first: bool = False
) -> tuple[str, dict[str, Any]]:
    """SQL and parameters for `SessionStore.list_sessions` (rows for `SessionSummary`)."""
    where, params = "", dict[str, Any](limit=-1 if limit is None else limit)
    order = "s.updated_at DESC, s.id DESC"
    if chats_first:
        order = f"s.kind = 'chat' DESC, {order}"
    if query is not None and query.strip():
        escaped = query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["like"] = f"%{escaped}%"
        where = f"WHERE {TITLE} LIKE :like ESCAPE '\\' OR s.id LIKE :like ESCAPE '\\'"
        match = fts_query(query, prefix=True)
        if match is not None:
            params["match"] = match
            where += (
                " OR s.id IN (SELECT m.session_id FROM messages m WHERE m.id IN "
                "(SELECT rowid FROM messages_fts WHERE messages_fts MATCH :match))"
            )
    sql = (
        f"SELECT s.id, {TITLE}, s.model, s.created_at, s.updated_at, "
        "(SELECT count(*) FROM messages m WHERE m.session_id = s.id AND m.active = 1), s.kind "
        f"FROM sessions s {where} ORDER BY {order} LIMIT :limit"
    )
    return sql, params


def session_summary(row: Sequence[Any]) -> SessionSummary:
    """A `list_query` row as a record."""
    session_id, title, model, created_at, updated_at, messages, kind = row
    return SessionSummary(
        session_id,
        read_text(title),
        read_text(model),
        read_time(created_at),
        read_time(updated_at),
        messages,
        "oneshot" if kind == "oneshot" else "chat",
    )


SNIPPET_WORDS: Final = 16

SEARCH: Final = (
    "WITH ranked AS ("
    "SELECT rowid AS id, rank FROM messages_fts WHERE messages_fts MATCH :match), "
    # min() with a bare column: the id is that of the best-ranked row of each conversation
    "best AS (SELECT m.id AS id, min(ranked.rank) AS rank FROM ranked "
    "JOIN messages m ON m.id = ranked.id WHERE m.active = 1 GROUP BY m.session_id), "
    "top AS (SELECT id, rank FROM best ORDER BY rank LIMIT :limit) "
    f"SELECT m.session_id, {TITLE}, m.id, m.seq, m.role, m.active, m.created_at, "
    "snippet(messages_fts, 0, :start, :end, '…', :words), "
    "snippet(messages_fts, 1, :start, :end, '…', :words) "
    "FROM top JOIN messages_fts ON messages_fts.rowid = top.id "
    "JOIN messages m ON m.id = top.id JOIN sessions s ON s.id = m.session_id "
    "WHERE messages_fts MATCH :match ORDER BY top.rank"
)
"""One hit per conversation: its best-matching message of the active history. Matches are
ranked once; snippets are made for the `limit` hits shown only (a word in most messages of
100 MB: 300 ms, where ranking every match per conversation and again overall took 650)."""


def search_query(
    text: str, limit: int, *, prefix: bool = False
) -> tuple[str, dict[str, Any]] | None:
    """SQL and parameters for `SessionStore.search`; None when `text` has no word."""
    match = fts_query(text, prefix=prefix)
    if match is None:
        return None
    params = {"start": MARK_START, "end": MARK_END, "words": SNIPPET_WORDS}
    return SEARCH, {**params, "match": match, "limit": limit}


def search_hit(row: Sequence[Any]) -> SearchHit:
    """A SEARCH row as a hit: the content snippet, unless only the reasoning matched."""
    session_id, title, row_id, seq, role, active, created_at, content, thinking = row
    in_content = MARK_START in content or MARK_START not in thinking
    return SearchHit(
        session_id=session_id,
        session_title=read_text(title),
        row_id=row_id,
        seq=seq,
        role=role,
        active=bool(active),
        field="content" if in_content else "thinking",
        snippet=read_text(content if in_content else thinking),
        created_at=read_time(created_at),
    )
