"""The terminal's background, light or dark: asked with OSC 11 (answered in raw mode within a
short timeout), or read from COLORFGBG, to choose a theme when none is set."""

from __future__ import annotations

import os
import re
import select
import time
from collections.abc import Mapping

QUERY = b"\x1b]11;?\x07"
"""OSC 11 with `?`: the terminal answers `ESC ] 11 ; rgb:RRRR/GGGG/BBBB` and BEL or ST."""
DEVICE_ATTRIBUTES = b"\x1b[c"
"""DA1, which nearly every terminal answers at once: once its answer is in, a terminal that
did not answer OSC 11 will not, so there is no need to wait for the timeout."""
TIMEOUT = 1.0
"""Seconds to wait for the answers at most. A terminal answers DA1 (which ends the wait) a
round trip after the query: at once locally, 100-300 ms later over ssh. An answer that comes
after the wait reaches the prompt as typed text, so the wait is long; only a terminal that
answers nothing waits it out (set `theme` in config.toml to skip the question)."""

_ANSWER = re.compile(
    rb"\x1b\]11;rgba?:([0-9a-fA-F]{1,4})/([0-9a-fA-F]{1,4})/([0-9a-fA-F]{1,4})"
    rb"(?:/[0-9a-fA-F]{1,4})?(?:\x07|\x1b\\)"
)
_DA1_ANSWER = re.compile(rb"\x1b\[\?[0-9;]*c")

LIGHT_THEME = "light"
DARK_THEME = "default"


def parse_background(answer: bytes) -> tuple[float, float, float] | None:
    """The colour in an OSC 11 answer, each channel from 0 to 1 (None: no answer in it).

    Each channel has 1 to 4 hex digits, scaled by its own width (`ff` and `ffff` are both 1).
    """
    match = _ANSWER.search(answer)
    if match is None:
        return None
    channels = [int(part, 16) / (16 ** len(part) - 1) for part in match.groups()]
    return channels[0], channels[1], channels[2]


def is_light(rgb: tuple[float, float, float]) -> bool:
    """Whether a background colour is light (its relative luminance, as WCAG computes it)."""
    red, green, blue = (
        channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
        for channel in rgb
    )
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return luminance > 0.4  # light grey (#aaa) and lighter; mid-grey (#808080) is 0.22


def from_colorfgbg(value: str) -> bool | None:
    """rxvt's and Konsole's COLORFGBG (`15;0`: light text on colour 0): whether the background
    is light (None: the value says nothing)."""
    last = value.rsplit(";", 1)[-1]
    if not last.isdigit():
        return None
    return int(last) in (7, 15)


def ask_terminal(fd_in: int, fd_out: int, timeout: float = TIMEOUT) -> bytes:
    """Send the OSC 11 query (and DA1) and read the answers, in raw mode, for up to `timeout`
    seconds; the terminal's settings are restored before returning, and the answers are read
    here, so they never reach the prompt.

    Returns:
        What the terminal sent (empty when it did not answer).
    """
    import termios
    import tty

    saved = termios.tcgetattr(fd_in)
    received = b""
    try:
        tty.setraw(fd_in, termios.TCSANOW)
        os.write(fd_out, QUERY + DEVICE_ATTRIBUTES)
        deadline = time.monotonic() + timeout
        while not _DA1_ANSWER.search(received):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd_in], [], [], left)[0]:
                break
            chunk = os.read(fd_in, 1024)
            if not chunk:
                break
            received += chunk
    finally:
        termios.tcsetattr(fd_in, termios.TCSANOW, saved)
    return received


def pick_theme(environ: Mapping[str, str], fd_in: int, fd_out: int) -> str:
    """The theme for this terminal when none is set: `light` on a light background, else the
    default (dark), also when the terminal does not say."""
    if environ.get("COLORFGBG"):
        light = from_colorfgbg(environ["COLORFGBG"])
        if light is not None:
            return LIGHT_THEME if light else DARK_THEME
    if environ.get("TERM", "dumb") == "dumb":
        return DARK_THEME
    import termios

    try:
        answer = ask_terminal(fd_in, fd_out)
    except (OSError, termios.error):  # not a terminal after all, or it went away
        return DARK_THEME
    rgb = parse_background(answer)
    return LIGHT_THEME if rgb is not None and is_light(rgb) else DARK_THEME
