"""Find and stop every process one tool command started, through /proc (Linux); also a watchdog.

A command runs in its own session with a marker variable (`TERMCHAT_TOOL_RUN=<token>`) in its
environment. Processes it starts inherit both, and the marker survives `setsid`, `nohup` and
double forks, so a scan of /proc finds them even after they left the command's process group.

Run as a script (``python -I -S reaper.py TOKEN``) this module is the watchdog that outlives
termchat: it reads its stdin, where termchat writes the command's session id and, when the run
ends normally, ``done``. End of input without ``done`` means termchat died (kill -9 included), and
the watchdog stops the run's processes. It imports only the standard library for that reason.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator

MARKER = "TERMCHAT_TOOL_RUN"
MAX_ROUNDS = 100
"""Scans before giving up on a command that keeps forking (each round stops what it finds)."""


def _pids() -> Iterator[int]:
    try:
        entries = os.listdir("/proc")
    except OSError:  # no /proc (not Linux): only the process group can be stopped
        return
    own = os.getpid()
    for name in entries:
        if name.isdigit() and int(name) != own:
            yield int(name)


def _session_and_state(pid: int) -> tuple[int, str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[3]), fields[0].decode("ascii", "replace")


def _has_marker(pid: int, needle: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = handle.read()
    except OSError:  # gone, or not ours to read (another user, a setuid program)
        return False
    return needle in b"\0" + environ


def members(token: str, session: int | None = None) -> set[int]:
    """Live processes that carry the run's marker or belong to its session."""
    needle = f"\0{MARKER}={token}\0".encode()
    uid = os.getuid()
    found: set[int] = set()
    for pid in _pids():
        info = _session_and_state(pid)
        if info is None or info[1] == "Z":  # a zombie is already dead
            continue
        with contextlib.suppress(OSError):
            if os.stat(f"/proc/{pid}").st_uid != uid:
                continue
            if (session is not None and info[0] == session) or _has_marker(pid, needle):
                found.add(pid)
    return found


def stop_run(token: str, session: int | None = None) -> int:
    """Stop every process of a run: freeze them all first (so none can fork), then kill.

    Returns:
        How many processes were stopped.
    """
    frozen: set[int] = set()
    for _ in range(MAX_ROUNDS):
        fresh = members(token, session) - frozen
        if not fresh:
            break
        for pid in fresh:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGSTOP)
        frozen |= fresh
    for pid in frozen:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    if session is not None:  # what /proc could not show (or no /proc at all)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(session, signal.SIGKILL)
    return len(frozen)


def watch(token: str, lines: Iterator[bytes]) -> bool:
    """The watchdog's loop: follow termchat's messages; stop the run unless told ``done``.

    Returns:
        True when the run ended normally, False when the watchdog had to stop it.
    """
    session: int | None = None
    for line in lines:
        text = line.strip()
        if text == b"done":
            return True
        if text.isdigit():
            session = int(text)
    stop_run(token, session)
    return False


if __name__ == "__main__":
    # Ctrl-C in the terminal is termchat's business; the watchdog waits for its end of input.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch(sys.argv[1], iter(sys.stdin.buffer))
