"""Opening the session database file: checks before changes, pragmas, migrations, errors.

`connect` is what `SessionStore.open` runs; `store_error` turns any sqlite3 failure into the
one-line StoreError termchat shows. Nothing here knows about sessions or messages.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from pathlib import Path
from typing import Final

from termchat.errors import StoreError
from termchat.store.schema import MIGRATIONS

BUSY_TIMEOUT: Final = 5.0
"""Seconds a write waits for another process's transaction before giving up."""

LOW_SPACE: Final = 1 << 20
"""Bytes: an I/O error with less free space than this on the database's disk means "full"."""


def store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """Turn a sqlite3 failure into a one-line message naming the file and what to do."""
    detail = " ".join(str(exc).split())
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL" or "disk is full" in detail or _out_of_space(path, name):
        return StoreError(f"Cannot write {path}: the disk is full; free some space and retry")
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or "not a database" in detail:
        return StoreError(
            f"{path} is not a readable termchat database ({detail}); move it aside "
            f"(mv '{path}' '{path}.broken') and termchat will start a new one"
        )
    if name.startswith("SQLITE_READONLY") or "readonly" in detail:
        return StoreError(
            f"Cannot write {path} ({detail}); check the permissions of it and its folder"
        )
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in detail:
        return StoreError(f"{path} is busy in another termchat process ({detail}); try again")
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH", "SQLITE_IOERR")):
        return StoreError(
            f"Cannot open {path} ({detail}); check that it and its folder are readable and "
            "writable, or set TERMCHAT_HOME to another folder"
        )
    return StoreError(f"Session database {path}: {detail}")


def _out_of_space(path: Path, name: str) -> bool:
    """An I/O error on a disk with (almost) no free space: the disk is full.

    SQLite says SQLITE_FULL only when a write to the database or its journal fails with
    ENOSPC; growing the shared-memory index (-shm) fails as SQLITE_IOERR_SHMSIZE, and a full
    disk can also end an fsync or truncate. Python does not pass the errno on, so ask the disk.
    """
    if not name.startswith("SQLITE_IOERR"):
        return False
    try:
        stats = os.statvfs(path.parent)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < LOW_SPACE


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path`, ready for use: checked to be termchat's
    (before anything in it is changed), WAL, synchronous=FULL, foreign keys, schema up to date.
    Files are created 0600.

    Raises:
        StoreError: the file or folder cannot be created, read or written, is not a termchat
            database, or was written by a newer termchat.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Cannot create the folder of {path} ({exc.strerror or exc}); "
            "set TERMCHAT_HOME to a writable folder"
        ) from None
    previous = os.umask(0o077)  # new db, -wal and -shm files are born 0600
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        _check_ours(path, conn)
        mode = _enable_wal(conn)
        if mode != "wal":
            raise StoreError(f"{path}: cannot use write-ahead logging (journal mode {mode})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(path, conn)
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise store_error(path, exc) from None
    except StoreError:
        if conn is not None:
            conn.close()
        raise
    finally:
        os.umask(previous)
    _restrict_modes(path)
    return conn


def _check_ours(path: Path, conn: sqlite3.Connection) -> int:
    """Refuse another program's database, or a newer termchat's, by reading only; returns the
    schema version. Runs before the switch to WAL, which would rewrite the file's header."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{path} was written by a newer termchat (schema {version}, this one "
            f"knows {len(MIGRATIONS)}); upgrade termchat"
        )
    if version == 0:
        tables = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchone()[0]
        if tables:
            raise StoreError(
                f"{path} is an SQLite database but not termchat's; "
                "move it aside or set TERMCHAT_HOME to another folder"
            )
    return version


def _enable_wal(conn: sqlite3.Connection) -> str:
    """Switch to WAL (persistent, so usually a no-op); returns the journal mode now in use.

    When several processes create the database at once, the switch can fail with
    SQLITE_BUSY without waiting (SQLite's deadlock avoidance), so retry until BUSY_TIMEOUT.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            return str(mode).lower()
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorname", "") == "SQLITE_BUSY"
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.005 + random.random() * 0.02)  # back off, out of step with others


def _migrate(path: Path, conn: sqlite3.Connection) -> None:
    target = len(MIGRATIONS)
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) == target:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Again, inside the transaction: another process may have migrated (or created a
        # foreign table) meanwhile.
        version = _check_ours(path, conn)
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {target}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # the original error matters more
                conn.execute("ROLLBACK")
        raise


def _restrict_modes(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        # Missing (not created yet) or not ours (someone else's file we may still use): skip.
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(f"{path}{suffix}", 0o600)
