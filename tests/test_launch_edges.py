"""Start-up and exit edges of the program: Ctrl-C's exit status in -p, a FIFO as history file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fakeserver import FakeServer
from terminal import Terminal


def start(home: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
    env["TERMCHAT_HOME"] = str(home)
    return subprocess.Popen(
        [sys.executable, "-m", "termchat", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def interrupt(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Ctrl-C (SIGINT) to the process; its exit status and stderr."""
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, err


def test_ctrl_c_before_anything_arrived_exits_130(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.queue_reply(content="too late", hold_after=0)  # headers, then nothing
    process = start(tmp_path, "--host", fake_server.url, "-m", "llama3.2", "-p", "hi")
    assert fake_server.holding.wait(30)
    code, err = interrupt(process)
    assert code == 130, err
    assert "Traceback" not in err


def test_ctrl_c_while_a_tool_runs_exits_130(fake_server: FakeServer, tmp_path: Path) -> None:
    marker = tmp_path / "tool-started"
    command = f"touch {marker}; sleep 30"
    fake_server.queue_reply(tool_calls=[{"name": "run_shell", "arguments": {"command": command}}])
    process = start(
        tmp_path,
        *("--host", fake_server.url, "-m", "llama3.2", "--tool", "run_shell", "--yes"),
        *("-p", "run it"),
    )
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the tool never started"
        time.sleep(0.02)  # poll interval while waiting for the tool to start
    started = time.monotonic()
    code, err = interrupt(process)
    assert code == 130, err
    assert time.monotonic() - started < 10  # at once, not after the 30 s sleep
    assert "Traceback" not in err


def test_fifo_as_history_file_does_not_hang_start_up(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    os.mkfifo(tmp_path / "history")
    term = Terminal(["--host", fake_server.url, "-m", "llama3.2"], home=tmp_path)
    try:
        term.wait_for("history is not kept this time")
        term.wait_for("llama3.2 ❯")
        term.line("hello")
        term.wait_for("You said: hello")
        term.key("ctrl-d")
        assert term.wait_exit() == 0
    finally:
        term.close()
    assert (tmp_path / "history").is_fifo()  # left as it was
