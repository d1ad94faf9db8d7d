"""kill -9 in the middle of a streaming reply keeps all of it but about the last second.

termchat runs as a real process (`-p` into a pipe, and the REPL in a pseudo-terminal) against
the loopback fake server, which streams one numbered word every 10 ms and then stalls. The test
notes when each word reached the screen (or the pipe), SIGKILLs termchat, and reads the real
database file: the reply is there, marked interrupted, holding every word that was shown more
than a second before the kill.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from fakeserver import FakeServer
from terminal import Terminal

from termchat.store import SessionStore

WORDS = [f"w{i:03d}" for i in range(400)]
TEXT = " ".join(WORDS)
SENT = 250  # words streamed before the server stalls (about 2.5 s at 10 ms a word)
SLACK = 1.5  # seconds: one checkpoint interval plus room for a loaded machine
WORD = re.compile(r"w(\d{3})")


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
    env["TERMCHAT_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Progress:
    """When each word was first seen on the client's output."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, int]] = []  # (time, highest word index seen by then)

    def note(self, text: str) -> int:
        """Record the highest word in `text`; returns it (-1 when none yet)."""
        found = [int(m) for m in WORD.findall(text)]
        top = max(found, default=-1)
        if top >= 0 and (not self.seen or top > self.seen[-1][1]):
            self.seen.append((time.monotonic(), top))
        return top

    def shown_before(self, moment: float) -> int:
        """The highest word index on the output at `moment` (-1: none)."""
        return max((top for when, top in self.seen if when <= moment), default=-1)


def check_saved(home: Path, progress: Progress, killed_at: float) -> None:
    """The database holds the reply: a prefix of TEXT, interrupted, all but the last SLACK s."""
    with SessionStore.open(home / "sessions.db") as store:
        session = store.latest_session()
        assert session is not None
        rows = store.load_rows(session.id)
    assert [row.message.role for row in rows] == ["user", "assistant"], rows
    reply = rows[1]
    assert reply.message.interrupted
    assert not reply.in_progress  # the writer is dead: no longer "being written"
    content = reply.message.content
    assert TEXT.startswith(content), content[-80:]
    saved = len(content.split())
    must = progress.shown_before(killed_at - SLACK) + 1
    # Streaming lasted ~2.5 s, so more than a second's worth of words must be there.
    assert must >= 50, progress.seen[-5:]
    assert saved >= must, f"saved {saved} words, but {must} were shown {SLACK} s before the kill"


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"


def test_kill_9_mid_reply_keeps_all_but_the_last_second_in_print_mode(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(content=TEXT, delay=0.01, hold_after=SENT)
    process = subprocess.Popen(
        [sys.executable, "-m", "termchat", "--host", fake_server.url, "-m", "llama3.2", "-p", "x"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=child_env(tmp_path),
    )
    assert process.stdout is not None and process.stderr is not None
    progress = Progress()
    out = b""
    try:
        fd = process.stdout.fileno()

        def read() -> bool:
            nonlocal out
            if select.select([fd], [], [], 0.05)[0]:
                chunk = os.read(fd, 65536)
                assert chunk, "termchat ended early"
                out += chunk
            return progress.note(out.decode()) == SENT - 1 and fake_server.holding.is_set()

        wait_until(read)
        killed_at = time.monotonic()
        process.send_signal(signal.SIGKILL)
        process.wait(20)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    check_saved(tmp_path, progress, killed_at)


def test_kill_9_mid_reply_keeps_all_but_the_last_second_in_the_repl(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(content=TEXT, delay=0.01, hold_after=SENT)
    term = Terminal(["--host", fake_server.url, "-m", "llama3.2"], home=tmp_path)
    progress = Progress()
    try:
        term.wait_for("llama3.2")
        term.line("count")
        term.wait_for(
            lambda: progress.note(term.transcript()) == SENT - 1 and fake_server.holding.is_set()
        )
        killed_at = time.monotonic()
        term.child.kill(signal.SIGKILL)
        term.child.wait()
    finally:
        term.close()
    check_saved(tmp_path, progress, killed_at)


def test_continue_after_kill_9_sends_the_partial_reply_back(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.queue_reply(content=TEXT, delay=0.01, hold_after=120)
    argv = [sys.executable, "-m", "termchat", "--host", fake_server.url, "-m", "llama3.2"]
    process = subprocess.Popen(
        [*argv, "-p", "count"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=child_env(tmp_path),
    )
    try:
        assert fake_server.holding.wait(30)
        # Hold still for a checkpoint to land (it comes at least once a second): poll the file.
        database = tmp_path / "sessions.db"

        def saved_words() -> int:
            if not database.exists():
                return 0
            with SessionStore.open(database) as store:
                session = store.latest_session()
                rows = [] if session is None else store.load_rows(session.id)
            return len(rows[1].message.content.split()) if len(rows) > 1 else 0

        wait_until(lambda: saved_words() == 120, timeout=10)
        process.send_signal(signal.SIGKILL)
        process.wait(20)
    finally:
        if process.poll() is None:
            process.kill()
        assert process.stdout is not None
        process.stdout.close()
    result = subprocess.run(
        [*argv, "-c", "-p", "go on"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env=child_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    sent = fake_server.last_chat()["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    # Marked as cut (interrupted = "mark", the default): the model is not told it finished.
    assert sent[1]["content"] == " ".join(WORDS[:120]) + "\n\n[reply interrupted]"
    assert sent[2]["content"] == "go on"
