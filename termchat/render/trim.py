"""Rows without padding: every printed line ends at its last visible character.

rich pads left-justified text, table cells and code blocks with spaces up to the width. In the
scrollback those spaces turn into blank rows and broken words when the window is resized, and
they are copied along with the text. Here the trailing blank cells of each row are dropped; a
trailing run that has a background colour (a code block's) becomes an erase to the end of the
line in that colour instead, so the background is as even as before, at any width.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import ControlType, Segment
from rich.style import Style

Row = list[Segment]
ERASE_TO_END = "\x1b[K"
ERASE_BELOW = "\x1b[K\x1b7\x1b[C\x1b[J\x1b8"
"""Erase from the cursor to the end of the screen, as ED 0 does, but never issued from the
top-left cell: the rest of the row goes first, then everything from one cell to the right on,
and the cursor is put back. tmux (`scroll-on-clear`, on by default) takes ED 0 from the
top-left cell for a cleared screen and pushes the whole screen into its history, so a prompt
or a reply drawn from the top row showed twice there."""


def fills(console: Console) -> bool:
    """Whether a trailing background may be drawn (a terminal with colour)."""
    return console.color_system is not None and not console.no_color


def trim_row(row: Row, fill: bool) -> Row:
    """`row` without its trailing blank cells.

    Args:
        row: One rendered row (no newline).
        fill: Turn a trailing run with a background into an erase to the end of the line in
            that background (see `fills`).
    """
    end = len(row)
    while end and not row[end - 1].control and not row[end - 1].text.strip(" "):
        end -= 1
    shortened = None
    if end and not row[end - 1].control:
        text, style, _ = row[end - 1]
        kept = text.rstrip(" ")
        if kept != text:
            shortened = Segment(kept, style)  # never empty: all-blank segments were dropped
    if end == len(row) and shortened is None:
        return row
    blank_style = row[-1].style if end < len(row) else row[end - 1].style
    out = row[:end]
    if shortened is not None:
        out[-1] = shortened
    if fill and blank_style is not None:
        background = blank_style.bgcolor
        if background is not None and not background.is_default:
            out.append(
                Segment(ERASE_TO_END, Style(bgcolor=background), [(ControlType.ERASE_IN_LINE, 0)])
            )
    return out


def trim_rows(rows: list[Row], fill: bool) -> list[Row]:
    """`trim_row` for each row."""
    return [trim_row(row, fill) for row in rows]


class Trimmed:
    """A renderable drawn row by row without trailing blank cells (see the module docstring)."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        fill = fills(console)
        newline = Segment.line()
        for row in console.render_lines(self.renderable, options, pad=False):
            yield from trim_row(row, fill)
            yield newline
