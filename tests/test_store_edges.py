"""Edges of opening the database: another program's file, a full disk, replies left in progress."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fakeserver import FakeServer

from termchat.errors import StoreError
from termchat.messages import Message
from termchat.store import SessionStore
from termchat.store.schema import MIGRATIONS


def test_foreign_sqlite_file_is_refused_before_anything_changes(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not termchat's"):
        SessionStore.open(path)
    assert path.read_bytes() == before  # header bytes 18-19 would say WAL after a switch
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sessions.db"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_newer_termchat_file_is_refused_before_anything_changes(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE sessions (id TEXT)")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer termchat"):
        SessionStore.open(path)
    assert path.read_bytes() == before


# Runs inside its own mount namespace (unshare), so a 256 KiB tmpfs can be filled without
# root and vanishes with the process. Prints what termchat said on stderr.
FULL_DISK = r"""
import os, subprocess, sys
from pathlib import Path
from termchat.messages import Message
from termchat.store import SessionStore

home, url = Path(sys.argv[1]), sys.argv[2]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(home)], check=True)
with SessionStore.open(home / "sessions.db") as store:
    store.append_message(store.create_session("llama3.2").id, Message("user", "first"))
fd = os.open(home / "filler", os.O_WRONLY | os.O_CREAT)
try:
    while True:
        os.write(fd, b"x" * 4096)
except OSError:
    pass
os.close(fd)
env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
env["TERMCHAT_HOME"] = str(home)
ran = subprocess.run(
    [sys.executable, "-m", "termchat", "--host", url, "-m", "llama3.2", "-p", "hi"],
    capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60,
)
sys.stdout.write(f"{ran.returncode}\n{ran.stdout}\n---\n{ran.stderr}")
"""


def test_full_disk_is_reported_as_full(tmp_path: Path, fake_server: FakeServer) -> None:
    home = tmp_path / "home"
    home.mkdir()
    namespace = ["unshare", "--mount", "--map-root-user"]
    result = subprocess.run(
        [*namespace, sys.executable, "-c", FULL_DISK, str(home), fake_server.url],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.returncode == 0, result.stderr
    code, _, rest = result.stdout.partition("\n")
    out, _, err = rest.partition("\n---\n")
    assert code == "0", err  # the chat goes on, unsaved
    assert "You said: hi" in out
    assert "the disk is full" in err, err
    assert "disk I/O error" not in err
    assert "Traceback" not in err


# --- replies saved while they stream ---------------------------------------------------


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_in_progress_row_of_a_dead_writer_is_settled_on_open(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SessionStore.open(path) as store:
        sid = store.create_session("m").id
        user = store.append_message(sid, Message("user", "q"))
        row, _ = store.append_after(
            sid, user, Message("assistant", "part", interrupted=True), in_progress=True
        )
        assert store.load_rows(sid)[1].in_progress
    conn = sqlite3.connect(path)
    conn.execute("UPDATE messages SET writer = ? WHERE id = ?", (dead_pid(), row))
    conn.commit()
    conn.close()
    with SessionStore.open(path) as store:
        reply = store.load_rows(sid)[1]
    assert not reply.in_progress
    assert reply.message.interrupted and reply.message.content == "part"


def test_in_progress_row_of_a_live_writer_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SessionStore.open(path) as store:
        sid = store.create_session("m").id
        user = store.append_message(sid, Message("user", "q"))
        row, _ = store.append_after(
            sid, user, Message("assistant", "part", interrupted=True), in_progress=True
        )
        with SessionStore.open(path) as other:  # this process still writes it
            assert other.load_rows(sid)[1].in_progress
        store.update_message(row, Message("assistant", "part and the rest"))
        done = store.load_rows(sid)[1]
    assert not done.in_progress and not done.message.interrupted
    assert done.message.content == "part and the rest"


def test_checkpoints_update_one_row_in_place(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "sessions.db") as store:
        sid = store.create_session("m").id
        user = store.append_message(sid, Message("user", "q"))
        row, _ = store.append_after(
            sid, user, Message("assistant", "a", interrupted=True), in_progress=True
        )
        for text in ("a b", "a b c"):
            store.update_message(
                row, Message("assistant", text, interrupted=True), in_progress=True
            )
        rows = store.load_rows(sid, include_inactive=True)
        assert [r.message.content for r in rows] == ["q", "a b c"]
        assert store.search("c")[0].row_id == row  # the full-text index follows each update
