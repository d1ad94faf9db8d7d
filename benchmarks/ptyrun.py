"""Runs one program in a pseudo-terminal: its output read as it comes, its CPU time measured."""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CPR_REQUEST = b"\x1b[6n"  # prompt_toolkit asks where the cursor is; a terminal answers at once
CPR_ANSWER = b"\x1b[1;1R"
# A terminal's answers to what termchat asks at start when no theme is set: the background
# colour (OSC 11; a dark one) and its device attributes (DA1). Every terminal answers at once.
ANSWERS = {
    b"\x1b]11;?\x07": b"\x1b]11;rgb:0000/0000/0000\x07",
    b"\x1b[c": b"\x1b[?62;22c",
    CPR_REQUEST: CPR_ANSWER,
}


@dataclass
class Finished:
    """What a run left: output with timestamps, CPU seconds, peak RSS, exit status.

    Attributes:
        chunks: (time.monotonic() when read, bytes) for every read of the terminal.
        cpu: User + system CPU seconds of the process (from `os.wait4`).
        max_rss_mb: Peak resident set size in MB.
        wall: Seconds from spawn to exit.
        status: Exit status (negative: killed by that signal).
        killed: True when the run hit its time limit and was stopped.
    """

    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    cpu: float = 0.0
    max_rss_mb: float = 0.0
    wall: float = 0.0
    status: int = 0
    killed: bool = False

    @property
    def output(self) -> bytes:
        """Everything the program wrote."""
        return b"".join(data for _, data in self.chunks)


class PtyProcess:
    """A program in a `cols` x `rows` pseudo-terminal, read by a thread so it never blocks.

    Use it as a context manager (or call `finish`): leaving the block kills the program if it
    still runs, also on an exception or Ctrl-C.

    Args:
        argv: The command.
        cols: Terminal width. rows: Terminal height.
        env: Extra environment variables.
        cwd: Working directory.
    """

    def __init__(
        self,
        argv: list[str],
        *,
        cols: int = 100,
        rows: int = 40,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
        full_env.update({"TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)})
        full_env.pop("NO_COLOR", None)
        full_env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: bytecode cached
        full_env.update(env or {})
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.done = False
        self.result = Finished()
        self._lock = threading.Lock()
        self._got = threading.Condition(self._lock)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        tail = b""
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            now = time.monotonic()
            if not data:
                with self._got:
                    self._got.notify_all()
                return
            seen = tail + data
            for question, answer in ANSWERS.items():
                if question in seen and question not in tail:
                    os.write(self.master, answer)
            tail = data[-8:]
            with self._got:
                self.result.chunks.append((now, data))
                self._got.notify_all()

    def send(self, text: str) -> None:
        """Type into the terminal."""
        os.write(self.master, text.encode())

    def wait_for(self, needle: bytes, timeout: float, start: int = 0) -> float | None:
        """Wait until `needle` appears in the output (from byte `start`); when it was read.

        The needle is looked for in the output with escape sequences left in, so pass a piece
        of text that the program writes in one style run.
        """
        deadline = time.monotonic() + timeout
        with self._got:
            while True:
                seen = b""
                for when, data in self.result.chunks:
                    seen += data
                    if needle in seen[start:]:
                        return when
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._reader.is_alive():
                    return None
                self._got.wait(min(remaining, 0.05))

    def wait_count(self, needle: bytes, count: int, timeout: float) -> bool:
        """Wait until `needle` occurs `count` times in the output; False on timeout or exit."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                output = b"".join(data for _, data in self.result.chunks)
            if output.count(needle) >= count:
                return True
            if time.monotonic() > deadline or not self._reader.is_alive():
                return False
            time.sleep(0.05)

    def size(self) -> int:
        """Bytes read so far."""
        with self._lock:
            return sum(len(data) for _, data in self.result.chunks)

    def rss_mb(self) -> float:
        """The process's resident set size now, in MB (Linux /proc)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.done:
            self.finish(timeout=0)

    def finish(self, timeout: float) -> Finished:
        """Wait for the exit (killing the process after `timeout` seconds); CPU and output."""
        pid = self.process.pid
        deadline = time.monotonic() + timeout
        try:
            while True:
                done, status, usage = os.wait4(pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() >= deadline:
                    self.result.killed = True
                    os.killpg(pid, signal.SIGKILL)
                    done, status, usage = os.wait4(pid, 0)
                    break
                time.sleep(0.01)
        except BaseException:  # Ctrl-C while waiting: the program must not outlive us
            os.killpg(pid, signal.SIGKILL)
            os.wait4(pid, 0)
            self.process.returncode = -signal.SIGKILL
            self.done = True
            os.close(self.master)
            raise
        self.done = True
        self.process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        self.result.wall = time.monotonic() - self.started
        self.result.cpu = usage.ru_utime + usage.ru_stime
        self.result.max_rss_mb = usage.ru_maxrss / 1024
        self.result.status = self.process.returncode
        self._reader.join(timeout=2)
        os.close(self.master)
        return self.result


def run(
    argv: list[str],
    *,
    timeout: float,
    cols: int = 100,
    rows: int = 40,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Finished:
    """Run `argv` in a pseudo-terminal to its end (or `timeout`); what it wrote and cost."""
    with PtyProcess(argv, cols=cols, rows=rows, env=env, cwd=cwd) as process:
        return process.finish(timeout)
