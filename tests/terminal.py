"""Running the program as a user does: through pipes (`termchat`), or in a real pseudo-terminal
(`Terminal`: pexpect runs termchat, pyte shows the screen)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pyte

TERMCHAT = [sys.executable, "-m", "termchat"]

KEY = {
    "enter": "\r",
    "ctrl-c": "\x03",
    "ctrl-d": "\x04",
    "ctrl-t": "\x14",
    "ctrl-j": "\n",
    "alt-enter": "\x1b\r",
    "up": "\x1b[A",
    "tab": "\t",
}


class Terminal:
    """termchat running in a pty of a fixed size, its output fed into a screen emulator."""

    def __init__(
        self,
        args: list[str],
        *,
        home: Path,
        rows: int = 30,
        cols: int = 100,
        env: dict[str, str] | None = None,
        background: str | None = None,
        answer_delay: float = 0.0,
    ) -> None:
        self.rows, self.cols = rows, cols
        self.background = background  # `rgb:ffff/ffff/ffff`: answered to an OSC 11 query
        self.answer_delay = answer_delay  # seconds before queries are answered (an ssh link)
        self._answers: list[tuple[float, str]] = []  # (when, what) still to send
        self.screen = pyte.HistoryScreen(cols, rows, history=5000)
        self.screen.set_mode(pyte.modes.LNM)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
        full_env.update(
            {
                "TERM": "xterm-256color",
                "TERMCHAT_HOME": str(home),
                "COLUMNS": str(cols),
                "LINES": str(rows),
                "NO_COLOR": "",
                "PYTHONUNBUFFERED": "1",
            }
        )
        full_env.pop("NO_COLOR")
        full_env.update(env or {})
        self.child = pexpect.spawn(
            TERMCHAT[0],
            [*TERMCHAT[1:], *args],
            env=full_env,
            dimensions=(rows, cols),
            timeout=30,
            cwd=str(home),
        )

    # --- reading -------------------------------------------------------------------------

    def pump(self, timeout: float = 0.05) -> bool:
        """Read whatever output is ready into the screen; False at EOF."""
        self._send_answers()
        if self._answers:
            timeout = min(timeout, 0.01)
        try:
            data = self.child.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False
        self.raw.extend(data)
        due = time.monotonic() + self.answer_delay
        if self.background is not None and b"\x1b]11;?" in data:
            self._answers.append((due, f"\x1b]11;{self.background}\x1b\\"))  # as xterm
        if b"\x1b[c" in data:  # primary device attributes, which every terminal answers
            self._answers.append((due, "\x1b[?62;22c"))
        self._send_answers()
        # Answer cursor-position requests as a real terminal does (prompt_toolkit asks).
        parts = data.split(b"\x1b[6n")
        for index, part in enumerate(parts):
            self.stream.feed(part)
            if index < len(parts) - 1:
                cursor = self.screen.cursor
                self.child.send(f"\x1b[{cursor.y + 1};{cursor.x + 1}R")
        return True

    def _send_answers(self) -> None:
        """Send the answers to queries whose delay is over."""
        now = time.monotonic()
        while self._answers and self._answers[0][0] <= now:
            self.child.send(self._answers.pop(0)[1])

    def display(self) -> str:
        """The visible screen as text, trailing spaces removed."""
        return "\n".join(line.rstrip() for line in self.screen.display)

    def history_lines(self) -> list[str]:
        """Lines that scrolled off the top, oldest first."""
        lines = []
        for row in self.screen.history.top:
            lines.append("".join(row[x].data for x in range(self.cols)).rstrip())
        return lines

    def transcript(self) -> str:
        """Scrollback plus the visible screen."""
        return "\n".join([*self.history_lines(), self.display()])

    def wait_for(
        self, what: str | re.Pattern[str] | Callable[[], bool], timeout: float = 15.0
    ) -> None:
        """Pump output until the condition holds (text on screen/scrollback, regex, predicate)."""
        deadline = time.monotonic() + timeout
        check: Callable[[], bool]
        if isinstance(what, str):
            check = lambda: what in self.transcript()  # noqa: E731
        elif isinstance(what, re.Pattern):
            check = lambda: what.search(self.transcript()) is not None  # noqa: E731
        else:
            check = what
        while True:
            alive = self.pump()
            if check():
                return
            if not alive or time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what!r}; screen was:\n{self.display()}"
                )

    # --- writing -------------------------------------------------------------------------

    def type(self, text: str) -> None:
        """Type text as a user would."""
        self.child.send(text)

    def key(self, name: str) -> None:
        """Press a named key (see KEY)."""
        self.child.send(KEY[name])

    def line(self, text: str) -> None:
        """Type a line and press Enter."""
        self.child.send(text)
        self.child.send("\r")

    def wait_exit(self, timeout: float = 15.0) -> int:
        """Wait for the process to end; returns its exit status."""
        deadline = time.monotonic() + timeout
        while self.pump(0.1):
            if time.monotonic() > deadline:
                raise AssertionError(f"termchat did not exit; screen:\n{self.display()}")
        self.child.wait()
        self.child.close()
        status = self.child.exitstatus
        return status if status is not None else 128 + (self.child.signalstatus or 0)

    def close(self) -> None:
        """Kill the process if it still runs."""
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close()


def toolbar(term: Terminal) -> str:
    """The bottom row of the screen, where the prompt's toolbar is."""
    return term.screen.display[-1].strip()


def picker_rows(term: Terminal, title: str) -> list[str]:
    """A picker's entries: the rows under its line that starts with `title`, up to its key
    hint."""
    lines = term.display().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip() or "Enter open" in line:
            break
        rows.append(line)
    return rows


def termchat(
    *args: str, home: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m termchat ARGS` with pipes, its own TERMCHAT_HOME and no OLLAMA_*/TERMCHAT_*
    settings from the caller; stdin is `stdin` (empty when None)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
    full_env["TERMCHAT_HOME"] = str(home)
    full_env.update(env or {})
    return subprocess.run(
        [*TERMCHAT, *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
    )
