"""kill -9 at random moments leaves a consistent database with every committed message intact."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from termchat.messages import Message
from termchat.store import SessionStore

RUNS = 25

# Appends forever, resuming where the history ends, and prints "row_id seq digest" after each
# commit. Every third reply is saved early as interrupted and finalized with update_message,
# the way the REPL saves a streaming reply.
WRITER = r"""
import hashlib, sys
from pathlib import Path
from termchat.messages import Message, ToolCall
from termchat.store import SessionStore

def digest(m):
    return hashlib.sha256(f"{m.content}|{m.thinking}|{m.interrupted}".encode()).hexdigest()[:16]

store = SessionStore.open(Path(sys.argv[1]))
sid = sys.argv[2]
seq = len(store.load_messages(sid))
while True:
    size = (seq * 7919) % 30000
    if seq % 2 == 0:
        msg = Message("user", f"{seq}: question " + "q" * size)
        row = store.append_message(sid, msg)
    else:
        final = Message(
            "assistant", f"{seq}: answer " + "a" * size, thinking="think " * (size // 6),
            tool_calls=[ToolCall("clock", {"n": seq})] if seq % 5 == 1 else [],
        )
        if seq % 3 == 0:
            partial = Message("assistant", f"{seq}: ans", interrupted=True)
            row = store.append_message(sid, partial)
            store.update_message(row, final)
        else:
            row = store.append_message(sid, final)
        msg = final
    print(row, seq, digest(msg), flush=True)
    seq += 1
"""


def digest(message: Message) -> str:
    text = f"{message.content}|{message.thinking}|{message.interrupted}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_and_kill(path: Path, sid: str, lines: int) -> list[tuple[int, int, str]]:
    """Start a writer, let it report `lines` commits, SIGKILL it; return all it reported."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), sid],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    reported = []
    try:
        for _ in range(lines):
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"writer died: {proc.stderr.read()}")
            reported.append(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        rest, errors = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, errors
    # Lines already in the pipe were printed after their commit, so they count too.
    reported += [line for line in rest.splitlines(keepends=True) if line.endswith("\n")]
    out = []
    for line in reported:
        row, seq, dig = line.split()
        out.append((int(row), int(seq), dig))
    return out


def test_store_survives_kill_9_at_random_points(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SessionStore.open(path) as store:
        sid = store.create_session("crash").id
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    committed: dict[int, tuple[int, str]] = {}
    for _ in range(RUNS):
        for row, seq, dig in run_and_kill(path, sid, rng.randrange(0, 6)):
            committed[row] = (seq, dig)

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], f"seed {seed}"
    conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")
    conn.close()
    with SessionStore.open(path) as store:
        rows = {row.row_id: row for row in store.load_rows(sid)}
        for row_id, (seq, dig) in committed.items():
            assert row_id in rows, f"committed row {row_id} lost (seed {seed})"
            assert (rows[row_id].seq, digest(rows[row_id].message)) == (seq, dig), f"seed {seed}"
        history = store.load_messages(sid)
        assert len(history) >= len(committed) > 0
        assert [m.content.split(":")[0] for m in history] == [str(i) for i in range(len(history))]
        store.append_message(sid, Message("user", "resumed"))  # and it still takes writes
        assert store.load_messages(sid)[-1].content == "resumed"
        assert store.search("resumed")
