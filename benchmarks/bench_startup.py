"""Start-up: `--version` against a bare Python, `--help`, `-p hi` and the REPL's prompt, each
beside the least a client built on the same libraries can do.

Each command runs several times after one warm-up run (bytecode compiled, files cached) and the
median wall time counts, as hyperfine would report it. The REPL runs in a 100x40 pty and is
timed from spawn until the toolbar (which prompt_toolkit draws once it knows the terminal)
shows; once against the fake server and once against a server that accepts connections and
never answers, which shows that fetching the model's capabilities does not delay the prompt.
Beside it, interleaved run by run, the floor: a bare prompt_toolkit prompt with a toolbar
(clients.py `prompt`). `-p hi` is measured the same way against the one-process floor client
(clients.py `floor`: one request, the answer rendered once with rich).
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time

import ptyrun
from common import CLIENTS, PYTHON, TERMCHAT, Log, Row, median, spread
from server import StandIn

TOOLBAR = b"thinking:"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: bytecode cached
    return env


def timed(argv: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds (user + system) of `runs` runs of `argv`, after one warm-up run."""
    env = _env()
    walls: list[float] = []
    cpus: list[float] = []
    for index in range(runs + 1):
        before, began = os.times(), time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        wall, after = time.perf_counter() - began, os.times()
        if index:
            walls.append(wall)
            cpus.append(
                after.children_user
                - before.children_user
                + after.children_system
                - before.children_system
            )
    return walls, cpus


def oneshot_cpu(url: str, runs: int) -> tuple[list[float], list[float]]:
    """CPU seconds of `termchat -p hi` and of the floor client, in a pty, start to exit."""
    times: tuple[list[float], list[float]] = ([], [])
    with tempfile.TemporaryDirectory(prefix="termchat-bench-") as home:
        for index in range(runs + 1):
            termchat = [TERMCHAT, "-m", "qwen3", "--no-think", "-p", "hi", "--host", url]
            floor = [PYTHON, CLIENTS, "floor", url, "hi"]
            for argv, kept in zip((termchat, floor), times, strict=True):
                run = ptyrun.run(argv, timeout=30, env={"TERMCHAT_HOME": home})
                if run.status != 0:
                    raise RuntimeError(f"{argv[0]} failed ({run.status}): {run.output[-300:]!r}")
                if index:
                    kept.append(run.cpu)
    return times


LIBRARIES = "import httpx, anyio._backends._asyncio, rich.console, rich.markdown, sqlite3"
"""What `-p` cannot do without: httpx's async client (anyio, asyncio), rich's Markdown, SQLite."""


def _prompt_time(argv: list[str], home: str) -> float:
    with ptyrun.PtyProcess(argv, env={"TERMCHAT_HOME": home}) as process:
        seen = process.wait_for(TOOLBAR, timeout=10)
        process.send("\x04")  # Ctrl-D: leave
        process.finish(timeout=5)
    if seen is None:
        raise RuntimeError(f"{argv[0]}: the prompt's toolbar never showed")
    return seen - process.started


def prompt_times(url: str, runs: int, floor: bool = False) -> tuple[list[float], list[float]]:
    """Seconds from spawning the REPL until its toolbar is on the terminal; with `floor`, the
    bare prompt_toolkit prompt's, run by run in between."""
    times: tuple[list[float], list[float]] = ([], [])
    with tempfile.TemporaryDirectory(prefix="termchat-bench-") as home:
        for index in range(runs + 1):
            argvs = [[TERMCHAT, "-m", "qwen3", "--host", url]]
            if floor:
                argvs.append([PYTHON, CLIENTS, "prompt", url, ""])
            for argv, kept in zip(argvs, times, strict=False):
                took = _prompt_time(argv, home)
                if index:
                    kept.append(took)
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
    bare = timed([PYTHON, "-c", "pass"], runs)[0]
    version = timed([TERMCHAT, "--version"], runs)[0]
    help_ = timed([TERMCHAT, "--help"], runs)[0]
    libraries = timed([PYTHON, "-c", LIBRARIES], runs)[1]
    with StandIn() as server:
        prompt, prompt_floor = prompt_times(server.url, repl_runs, floor=True)
        oneshot, oneshot_floor = oneshot_cpu(server.url, repl_runs)
    silent = SilentServer()
    try:
        hung, _ = prompt_times(silent.url, repl_runs)
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
            f"{median(oneshot) / median(oneshot_floor):.2f} × the floor client "
            f"({median(oneshot_floor):.2f} s: one request, rendered once); importing the "
            f"libraries it is built on (httpx's async client, rich's Markdown, sqlite3) alone "
            f"takes {median(libraries):.2f} s; user + system, start to exit; " + spread(oneshot),
        ),
        Row(
            "REPL prompt + toolbar ready",
            f"{median(prompt) * ms:.0f} ms",
            "≤ 150 ms",
            median(prompt) <= 0.15,
            f"{median(prompt) / median(prompt_floor):.2f} × a bare prompt_toolkit prompt with a "
            f"toolbar ({median(prompt_floor) * ms:.0f} ms); " + spread(prompt, "ms", ms),
        ),
        Row(
            "REPL prompt ready, server never answers",
            f"{median(hung) * ms:.0f} ms",
            "≤ 150 ms",
            median(hung) <= 0.15,
            "capabilities are fetched in the background; " + spread(hung, "ms", ms),
        ),
    ]
