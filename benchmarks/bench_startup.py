"""Start-up: `--version` against a bare Python, `--help`, and the REPL's prompt with its toolbar.

Each command runs several times after one warm-up run (bytecode compiled, files cached) and the
median wall time counts, as hyperfine would report it. The REPL runs in a 100x40 pty and is
timed from spawn until the toolbar (which prompt_toolkit draws once it knows the terminal)
shows; once against the fake server and once against a server that accepts connections and
never answers, which shows that fetching the model's capabilities does not delay the prompt.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time

import ptyrun
from common import PYTHON, TERMCHAT, Log, Row, median, spread
from server import StandIn

TOOLBAR = b"thinking:"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: bytecode cached
    return env


def wall_times(argv: list[str], runs: int) -> list[float]:
    """Wall seconds of `runs` runs of `argv` (after one warm-up run)."""
    env = _env()
    times = []
    for index in range(runs + 1):
        began = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        if index:
            times.append(time.perf_counter() - began)
    return times


def oneshot_cpu(url: str, runs: int) -> list[float]:
    """CPU seconds of `termchat -p hi` in a pty, start to exit (a short answer)."""
    times = []
    with tempfile.TemporaryDirectory(prefix="termchat-bench-") as home:
        for index in range(runs + 1):
            argv = [TERMCHAT, "-m", "qwen3", "--no-think", "-p", "hi", "--host", url]
            run = ptyrun.run(argv, timeout=30, env={"TERMCHAT_HOME": home})
            if run.status != 0:
                raise RuntimeError(f"termchat -p failed ({run.status}): {run.output[-300:]!r}")
            if index:
                times.append(run.cpu)
    return times


def prompt_times(url: str, runs: int) -> list[float]:
    """Seconds from spawning the REPL until its toolbar is on the terminal."""
    times = []
    with tempfile.TemporaryDirectory(prefix="termchat-bench-") as home:
        for index in range(runs + 1):
            argv = [TERMCHAT, "-m", "qwen3", "--host", url]
            with ptyrun.PtyProcess(argv, env={"TERMCHAT_HOME": home}) as process:
                seen = process.wait_for(TOOLBAR, timeout=10)
                process.send("\x04")  # Ctrl-D: leave
                process.finish(timeout=5)
            if seen is None:
                raise RuntimeError("the REPL's toolbar never showed")
            if index:
                times.append(seen - process.started)
    return times


class SilentServer:
    """Accepts connections and never answers (a server that hangs)."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def close(self) -> None:
        self._socket.close()


def run(quick: bool, say: Log) -> list[Row]:
    """The start-up rows."""
    runs = 8 if quick else 20
    repl_runs = 5 if quick else 10
    say(f"start-up: {runs} runs of each command, {repl_runs} REPL starts")
    bare = wall_times([PYTHON, "-c", "pass"], runs)
    version = wall_times([TERMCHAT, "--version"], runs)
    help_ = wall_times([TERMCHAT, "--help"], runs)
    with StandIn() as server:
        prompt = prompt_times(server.url, repl_runs)
        oneshot = oneshot_cpu(server.url, repl_runs)
    silent = SilentServer()
    try:
        hung = prompt_times(silent.url, repl_runs)
    finally:
        silent.close()
    ratio = median(version) / median(bare)
    ms = 1000.0
    return [
        Row(
            "termchat --version vs python -c pass",
            f"{median(version) * ms:.0f} ms",
            "≤ 3 × python",
            ratio <= 3,
            f"{ratio:.2f} × python ({median(bare) * ms:.0f} ms); {spread(version, 'ms', ms)}",
        ),
        Row(
            "termchat --help",
            f"{median(help_) * ms:.0f} ms",
            "< 200 ms",
            median(help_) < 0.2,
            spread(help_, "ms", ms),
        ),
        Row(
            "termchat -p hi: CPU in all",
            f"{median(oneshot):.2f} s",
            "≤ 0.2 s",
            median(oneshot) <= 0.2,
            "user + system, start to exit; " + spread(oneshot),
        ),
        Row(
            "REPL prompt + toolbar ready",
            f"{median(prompt) * ms:.0f} ms",
            "≤ 150 ms",
            median(prompt) <= 0.15,
            spread(prompt, "ms", ms),
        ),
        Row(
            "REPL prompt ready, server never answers",
            f"{median(hung) * ms:.0f} ms",
            "≤ 150 ms",
            median(hung) <= 0.15,
            "capabilities are fetched in the background; " + spread(hung, "ms", ms),
        ),
    ]
