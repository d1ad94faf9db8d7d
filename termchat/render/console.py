"""The rich Console termchat draws on: no text it prints can carry a control sequence."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment

from termchat.render.sanitize import has_controls, sanitize


class SafeConsole(Console):
    """A rich Console that sanitizes the text of every segment it writes.

    Callers sanitize untrusted text where they know what it is (see `sanitize`); this is the
    one place every drawn character passes, so that a new display path that forgets cannot
    send an escape sequence, a C1 control or a bidi control to the terminal. termchat's own
    sequences (colours, cursor moves, synchronized update) are styles and control segments,
    which pass untouched. It costs one join and one regex search per write when nothing is
    found.
    """

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        segments = list(buffer)
        if has_controls("".join([segment.text for segment in segments if not segment.control])):
            segments = [
                segment if segment.control else Segment(sanitize(segment.text), segment.style)
                for segment in segments
            ]
        return super()._render_buffer(segments)
