"""A database already poisoned (by an older importer, or by hand) reads without a fault.

The file is written the way termchat 0.x left it: schema version 3, with one conversation
whose `updated_at` is 1e300, a stat of 400 digits, a tool call whose id is an object, an
option that is Infinity and a think value no server knows. `sessions list`, `sessions show`,
`--continue` and `--resume` run as real processes against it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from fakeserver import FakeServer
from terminal import termchat

from termchat.store import SessionStore
from termchat.store.schema import MIGRATIONS

GOOD, BAD = "good0001", "bad00001"
NOW = time.time()


def old_database(path: Path) -> None:
    """A schema-3 database holding a good conversation and a poisoned one (updated later)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statements in MIGRATIONS[:3]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("PRAGMA journal_mode = WAL")
    session = "INSERT INTO sessions (id, title, model, options, think, created_at, updated_at) "
    session += "VALUES (?, ?, 'llama3.2', ?, ?, ?, ?)"
    conn.execute(session, (GOOD, "Good one", None, None, NOW - 100, NOW - 50))
    conn.execute(session, (BAD, "Bad one", '{"num_ctx": 1e999}', '"evil"', NOW - 90, 1e300))
    message = (
        "INSERT INTO messages (session_id, seq, gen, parent_id, active, role, content, "
        "thinking, tool_calls, stats, interrupted, created_at) "
        "VALUES (?, ?, 0, ?, 1, ?, ?, '', ?, ?, 0, ?)"
    )
    conn.execute(message, (GOOD, 0, None, "user", "good question", None, None, NOW - 100))
    conn.execute(message, (GOOD, 1, 1, "assistant", "good answer", None, None, NOW - 99))
    stats = '{"eval_count": ' + "9" * 400 + ', "eval_duration": 1000000000}'
    call = '[{"function": {"name": "clock", "arguments": {}}, "id": {"evil": true}}]'
    conn.execute(message, (BAD, 0, None, "user", "bad question", None, None, 1e300))
    conn.execute(message, (BAD, 1, 3, "assistant", "bad answer", call, stats, float("inf")))
    conn.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    old_database(tmp_path / "sessions.db")
    return tmp_path


def test_list_shows_both_without_a_fault(home: Path) -> None:
    result = termchat("sessions", "list", home=home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert GOOD in result.stdout and BAD in result.stdout
    listed = termchat("sessions", "list", "--json", home=home)
    assert listed.returncode == 0, listed.stderr
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows[BAD]["updated_at"] == 0  # the bad time, shown plainly as "never"
    assert rows[GOOD]["updated_at"] == pytest.approx(NOW - 50)


def test_show_reads_the_bad_conversation(home: Path) -> None:
    result = termchat("sessions", "show", BAD, home=home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "bad answer" in result.stdout


def test_continue_is_not_hijacked(home: Path, fake_server: FakeServer) -> None:
    result = termchat("--host", fake_server.url, "-c", "-p", "and then?", home=home)
    assert result.returncode == 0, result.stderr
    sent = fake_server.last_chat()["messages"]
    assert [m["content"] for m in sent] == ["good question", "good answer", "and then?"]


def test_resume_sends_the_bad_conversation_cleaned(home: Path, fake_server: FakeServer) -> None:
    result = termchat("--host", fake_server.url, "-r", BAD, "-p", "go on", home=home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    request = fake_server.last_chat()
    assert [m["content"] for m in request["messages"]] == ["bad question", "bad answer", "go on"]
    assert "tool_calls" not in request["messages"][1]  # the call with an object id is left out
    assert "think" not in request  # "evil" reads as not set
    assert "num_ctx" not in (request.get("options") or {})


def test_hand_poisoned_current_database_still_reads(home: Path, fake_server: FakeServer) -> None:
    with SessionStore.open(home / "sessions.db") as store:  # migrates, setting bad times to 0
        assert store.get_session(BAD).updated_at == 0
        assert store.get_session(BAD).think is None
    conn = sqlite3.connect(home / "sessions.db")
    conn.execute("UPDATE sessions SET updated_at = 1e300, title = x'ff00' WHERE id = ?", (BAD,))
    conn.commit()
    conn.close()
    with SessionStore.open(home / "sessions.db") as store:
        latest = store.latest_session()
        assert latest is not None and latest.id == GOOD
        bad = store.get_session(BAD)
        assert bad.updated_at == 0 and isinstance(bad.title, str)
    assert termchat("sessions", "list", home=home).returncode == 0
