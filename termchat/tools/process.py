"""Tool child processes: an allow-listed environment, their own session, nothing left running.

What a command gets and what happens to what it starts (see README "What a tool process gets"):

- Environment: only `BASE_ENV`, every `LC_*`, and the names the user lists (`tool_env`), plus
  the run's marker variable. API keys and other secrets of termchat's environment never pass.
- Its own session and process group (`setsid`), and on Linux a parent-death signal, so the
  shell dies with termchat.
- When the command ends, times out, passes the output cap or is cancelled, every process of
  the run is stopped: its session and group, and anything carrying its marker (which catches
  `setsid`, `nohup` and double forks; see `reaper`).
- A watchdog process (Linux) does the same if termchat itself dies, even by `kill -9`.

Limits: a process that both leaves the session and drops the marker (`setsid env -i ...`),
one started through a daemon that already runs (`tmux`, `systemd-run --user`, `at`), or one
that forks faster than `reaper.MAX_ROUNDS` scans is not found.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import signal
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from termchat.tools import reaper

BASE_ENV = (
    ("APPDATA", "LOCALAPPDATA", "PATH", "PATHEXT", "SYSTEMROOT", "TEMP", "TMP", "USERNAME")
    if sys.platform == "win32"
    else ("PATH", "HOME", "LANG", "TERM", "USER", "LOGNAME", "SHELL", "TMPDIR")
)
"""The variables of termchat's environment every tool process gets (with `LC_*`)."""

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\*?$")
"""A name `tool_env` may list: a variable, or a prefix ending in `*` (`AWS_*`)."""

DRAIN_GRACE = 1.0
"""Seconds to wait for the rest of the output once every process of a run is stopped."""


def tool_environment(
    extra: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a tool process gets: `BASE_ENV`, `LC_*` and the `extra` names.

    Args:
        extra: Names the user allows (`tool_env`); `NAME*` allows every name with that prefix.
        environ: The environment to pick from; termchat's own by default.
    """
    source = os.environ if environ is None else environ
    names = set(BASE_ENV)
    prefixes = ["LC_"]
    for name in extra:
        if name.endswith("*"):
            prefixes.append(name[:-1])
        else:
            names.add(name)
    return {
        name: value
        for name, value in source.items()
        if name in names or any(name.startswith(prefix) for prefix in prefixes)
    }


@dataclass(frozen=True)
class CommandResult:
    """How a command ended.

    Attributes:
        output: Its stdout and stderr together, at most the output cap.
        outcome: "exited" (on its own), "timeout", or "cap" (stopped for writing too much).
        status: The exit status when it exited; negative: the signal that ended it.
        cut: More output came than the cap allowed.
        stragglers: Processes it left running when it exited (they were stopped).
    """

    output: bytes
    outcome: Literal["exited", "timeout", "cap"]
    status: int | None
    cut: bool
    stragglers: int


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook that gives the child SIGKILL when termchat dies (Linux), else None.

    The kernel sends it when the thread that started the child ends; termchat starts commands
    from its event loop, which lives in the main thread until termchat exits. The C function is
    looked up here, before the fork, so the child only makes the call.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0)
        if os.getppid() != parent:  # termchat died before the signal was armed
            os._exit(1)

    return hook


class _Watchdog:
    """The `reaper` script in its own session, told the run's session id; stops it if we die."""

    def __init__(self, process: asyncio.subprocess.Process | None) -> None:
        self.process = process

    @classmethod
    async def start(cls, token: str) -> _Watchdog:
        """Start one; without /proc or a Python to run it, a watchdog that does nothing."""
        if not sys.platform.startswith("linux") or not sys.executable:
            return cls(None)
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-I", "-S", str(Path(reaper.__file__)), token,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                env={},
                start_new_session=True,  # Ctrl-C and a closing terminal must not reach it
            )  # fmt: skip
        except OSError:
            return cls(None)
        return cls(process)

    def watch(self, session: int) -> None:
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.write(f"{session}\n".encode())

    async def release(self) -> None:
        """Tell it the run ended normally and let it go."""
        if self.process is None or self.process.stdin is None:
            return
        with contextlib.suppress(ConnectionError):
            self.process.stdin.write(b"done\n")
        self.process.stdin.close()
        await self.process.wait()


async def _read(
    stream: asyncio.StreamReader, out: bytearray, cap: int, full: asyncio.Event
) -> None:
    """Read to the end, or until more than `cap` bytes came (then keep `cap` and set `full`)."""
    while chunk := await stream.read(65536):
        out += chunk
        if len(out) > cap:
            del out[cap:]
            full.set()
            return


async def _wait(
    process: asyncio.subprocess.Process, full: asyncio.Event, timeout: float
) -> Literal["exited", "timeout", "cap"]:
    exited = asyncio.ensure_future(process.wait())
    over_cap = asyncio.ensure_future(full.wait())
    try:
        done, _ = await asyncio.wait(
            {exited, over_cap}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        exited.cancel()
        over_cap.cancel()
    if exited in done:
        return "exited"
    return "cap" if over_cap in done else "timeout"


async def run_command(
    command: str,
    *,
    cwd: Path | str,
    env: Mapping[str, str],
    timeout: float,
    output_cap: int,
) -> CommandResult:
    """Run `command` with /bin/sh, confined as this module describes, and stop all it started.

    Tools in a `--tools-file` may use it too, to start programs with the same guarantees.

    Args:
        command: The command line.
        cwd: Its working directory.
        env: Its environment (build it with `tool_environment`).
        timeout: Seconds before it is stopped.
        output_cap: Bytes of output kept; more stops the command.

    Raises:
        OSError: The shell could not be started.
    """
    token = secrets.token_hex(8)
    watchdog = await _Watchdog.start(token)
    loop = asyncio.get_running_loop()
    read_fd, write_fd = os.pipe()  # ours, so a process that escaped cannot keep us waiting
    try:
        process = await asyncio.create_subprocess_shell(
            command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=write_fd,
            stderr=asyncio.subprocess.STDOUT,
            cwd=cwd,
            env={**env, reaper.MARKER: token},
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
    except BaseException:
        os.close(read_fd)
        await watchdog.release()
        raise
    finally:
        os.close(write_fd)
    watchdog.watch(process.pid)
    pipe = os.fdopen(read_fd, "rb", buffering=0)
    output = bytearray()
    full = asyncio.Event()
    transport: asyncio.BaseTransport | None = None
    reader: asyncio.Task[None] | None = None
    outcome: Literal["exited", "timeout", "cap"] = "timeout"
    try:
        stream = asyncio.StreamReader()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(stream), pipe
        )
        reader = asyncio.create_task(_read(stream, output, output_cap, full))
        outcome = await _wait(process, full, timeout)
    finally:
        stopped = reaper.stop_run(token, process.pid)
        try:
            await asyncio.shield(process.wait())
            if reader is not None:  # the stopped processes closed the pipe: take the rest
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(reader), DRAIN_GRACE)
        finally:
            if reader is not None:
                reader.cancel()
            if transport is not None:
                transport.close()  # closes the pipe too
            else:
                pipe.close()
            await watchdog.release()
    exited = outcome == "exited"
    return CommandResult(
        output=bytes(output),
        outcome=outcome,
        status=process.returncode if exited else None,
        cut=full.is_set(),
        stragglers=stopped if exited else 0,
    )
