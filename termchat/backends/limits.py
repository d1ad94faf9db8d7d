"""How much termchat reads from a server before it stops: the caps on lines and bodies."""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Limits:
    """Caps on what one server answer may make termchat hold in memory.

    Attributes:
        line: One NDJSON line or one SSE event (a whole tool call can be in one line).
        stream: A whole streamed body (a chat reply or a download's progress), decoded.
        answer: The JSON body of a short request (model list, model details), decoded.
        error_body: The body of an error status (only its message is shown).
        error_seconds: Time allowed to read an error body.
    """

    line: int = 8 * MIB
    stream: int = 256 * MIB
    answer: int = 32 * MIB
    error_body: int = 64 * KIB
    error_seconds: float = 10.0


def size_text(size: int) -> str:
    """A byte count for people: `8 MiB`, `64 KiB`, `100 bytes`."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
        if size >= unit:
            return f"{size / unit:.1f} {name}"
    return f"{size} bytes"


def line_cut(limit: int) -> str:
    """The stream error for a line (or SSE event) that passed `limit` without ending."""
    return f"The server sent a line longer than {size_text(limit)}; termchat stopped reading there"


def stream_cut(limit: int) -> str:
    """The stream error for a body that passed `limit`."""
    return f"The reply passed {size_text(limit)}; termchat stopped reading there"
