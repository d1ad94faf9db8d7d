"""Reading another program's SQLite file: opened read-only, its tables and columns looked up.

The file is never written (no WAL switch, no migration); every sqlite3 failure comes out as
`Invalid` with what went wrong, for the caller to name the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from termchat.store.fields import Invalid

HEADER: Final = b"SQLite format 3\x00"


def is_sqlite(path: Path) -> bool:
    """Whether the file starts with SQLite's header."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(HEADER)) == HEADER
    except OSError:
        return False


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to `path`.

    Raises:
        Invalid: the file cannot be opened or is not a database SQLite can read.
    """
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise Invalid(f"cannot be opened as an SQLite database ({exc})") from None
    # Another program may have stored bytes that are not UTF-8: read them with U+FFFD rather
    # than failing the whole file on one row.
    conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        yield conn
    except sqlite3.Error as exc:
        raise Invalid(f"cannot be read as an SQLite database ({exc})") from None
    finally:
        conn.close()


def tables(conn: sqlite3.Connection) -> set[str]:
    """The names of the database's tables."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {str(row[0]) for row in rows}


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The column names of `table`."""
    return {str(row[1]) for row in conn.execute(f'PRAGMA table_info("{table}")')}


def select(
    conn: sqlite3.Connection, table: str, wanted: Sequence[str], rest: str = ""
) -> Iterator[dict[str, Any]]:
    """Rows of `table` as dicts of the `wanted` columns; a column the file's version of the
    table lacks reads as None. `rest` is the WHERE/ORDER BY text."""
    present = columns(conn, table)
    picked = ", ".join(f'"{name}"' if name in present else "NULL" for name in wanted)
    for row in conn.execute(f'SELECT {picked} FROM "{table}" {rest}'):
        yield dict(zip(wanted, row, strict=True))
