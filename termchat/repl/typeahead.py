"""Keys typed before a prompt reads them: held in the terminal with their meaning intact."""

from __future__ import annotations

import contextlib
import termios
from collections.abc import Iterator


@contextlib.contextmanager
def held_keys(fd: int) -> Iterator[None]:
    """While the REPL runs, keys typed when no prompt is reading (start-up, a resumed transcript
    being drawn, a command at work) wait in the terminal as typed.

    In its default mode a terminal turns Enter (CR) into a newline (LF) as it arrives, which the
    prompt would read as Ctrl-J (a new line in the message, not sending it), and echoes the keys
    into whatever is being drawn. With ICRNL and ECHO off, Enter stays Enter and the prompt shows
    the text once. prompt_toolkit saves and restores the mode around each prompt, so it comes
    back here between prompts; the terminal's own mode is restored at the end.
    """
    try:
        original = termios.tcgetattr(fd)
    except (termios.error, OSError, ValueError):  # not a terminal
        yield
        return
    held = list(original)
    held[0] &= ~termios.ICRNL  # input flags
    held[3] &= ~termios.ECHO  # local flags
    try:
        termios.tcsetattr(fd, termios.TCSANOW, held)
    except termios.error:
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(termios.error, OSError):  # the terminal may be gone (SIGHUP)
            termios.tcsetattr(fd, termios.TCSANOW, original)
