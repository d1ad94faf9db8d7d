"""Copying to the clipboard, decided without side effects: the OSC 52 sequence, which local
tool to run, and the sentence that says what was used."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass

ESC = "\x1b"
BEL = "\x07"
ST = ESC + "\\"

OSC52_LIMIT = 1_000_000
"""Characters of base64 beyond which OSC 52 is not tried (terminals cap it far lower or cut it
silently; the local tool is used instead, or the copy is refused)."""


def osc52(text: str, *, passthrough: bool = False) -> str:
    """The sequence that puts `text` on the system clipboard (OSC 52, selection `c`).

    The text travels as base64, so nothing in it can be read as a control sequence.

    Args:
        text: What to copy.
        passthrough: Wrap it in tmux's DCS passthrough, so tmux hands it to the terminal
            outside (needs tmux's `allow-passthrough`); every ESC inside is doubled.
    """
    payload = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")
    sequence = f"{ESC}]52;c;{payload}{BEL}"
    if passthrough:
        return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"
    return sequence


@dataclass(frozen=True)
class Tmux:
    """The tmux options that decide how OSC 52 gets out of tmux.

    Attributes:
        set_clipboard: `on`, `external` or `off` (tmux itself takes OSC 52 only with `on`).
        allow_passthrough: `on` or `all` lets a DCS passthrough reach the outer terminal.
    """

    set_clipboard: str = ""
    allow_passthrough: str = ""


@dataclass(frozen=True)
class Plan:
    """How to copy: OSC 52 (plain or wrapped for tmux), a local tool, or both.

    Attributes:
        osc52: Send OSC 52.
        passthrough: Wrap it in tmux's DCS passthrough.
        tool: The local tool's command line, or None.
        reason: Why nothing can be used (when neither is).
    """

    osc52: bool = False
    passthrough: bool = False
    tool: tuple[str, ...] | None = None
    reason: str = ""


def local_tool(
    environ: Mapping[str, str], platform: str, which: Callable[[str], str | None]
) -> tuple[str, ...] | None:
    """The clipboard tool this machine's session can use, as a command line (None: none).

    wl-copy needs a Wayland session, xclip and xsel an X display; pbcopy is macOS's.
    """
    candidates: list[tuple[str, ...]] = []
    if platform == "darwin":
        candidates.append(("pbcopy",))
    if environ.get("WAYLAND_DISPLAY"):
        candidates.append(("wl-copy",))
    if environ.get("DISPLAY"):
        candidates += [("xclip", "-selection", "clipboard"), ("xsel", "--clipboard", "--input")]
    for command in candidates:
        if which(command[0]):
            return command
    return None


def choose(
    *,
    terminal: bool,
    environ: Mapping[str, str],
    tmux: Tmux | None,
    tool: tuple[str, ...] | None,
    size: int,
) -> Plan:
    """Decide how to copy `size` characters.

    OSC 52 is sent whenever the output is a terminal that can pass it on (it works over SSH);
    since a terminal may ignore it silently, a local tool is run as well when the session has
    one. Inside tmux the plain sequence is enough with `set-clipboard on` (tmux keeps it as a
    buffer and passes it on); otherwise it is wrapped in the passthrough when tmux allows that.

    Args:
        terminal: The output is a terminal.
        environ: The environment (TERM, TMUX).
        tmux: tmux's options when running inside tmux, else None.
        tool: The local tool (see `local_tool`), or None.
        size: The length of the text.
    """
    too_long = size * 4 // 3 >= OSC52_LIMIT
    usable = terminal and environ.get("TERM", "") not in ("dumb", "") and not too_long
    passthrough = False
    if usable and tmux is not None and tmux.set_clipboard != "on":
        passthrough = usable = tmux.allow_passthrough in ("on", "all")
    if usable or tool is not None:
        return Plan(osc52=usable, passthrough=passthrough, tool=tool)
    if too_long:
        reason = "the text is too long for OSC 52 and no clipboard tool (wl-copy, xclip, pbcopy)"
    elif not terminal:
        reason = "the output is not a terminal and no clipboard tool (wl-copy, xclip, pbcopy)"
    elif tmux is not None:
        reason = (
            "tmux does not take OSC 52 from programs (add `set -g set-clipboard on` to "
            "tmux.conf) and no clipboard tool (wl-copy, xclip, pbcopy) was found"
        )
    else:
        reason = "TERM says this terminal cannot take OSC 52 and no clipboard tool was found"
    return Plan(reason=reason)


def copied_message(size: int, methods: list[str]) -> str:
    """`Copied 1,204 characters (OSC 52)`."""
    noun = "character" if size == 1 else "characters"
    return f"Copied {size:,} {noun} ({' and '.join(methods)})"
