"""A line of text that fits its row, drawn as rich draws it without wrapping it.

`console.render_lines(text, options, style=..., pad=...)` wraps the text (splitting it,
dividing it at the width, justifying each line), joins the lines again, renders them and
splits the result back into rows; for a line that fits in one row most of that work changes
nothing. `one_row` does the steps that do change it, with rich's own Text methods, so the
segments are the same (checked against `render_lines` in the tests): a code block's lines and
a table's cells are nearly all such lines, and they are drawn on every frame or every row.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, JustifyMethod, OverflowMethod
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text

Row = list[Segment]


def one_row(
    console: Console,
    text: Text,
    width: int,
    style: Style | None,
    *,
    justify: JustifyMethod,
    overflow: OverflowMethod,
    pad: bool,
) -> Row | None:
    """The one row `console.render_lines(text, options, style=style, pad=pad)` draws, where
    `options` is `width` wide, wraps, and justifies and overflows as `justify` and `overflow`
    say (the text's own settings win over them, as in rich); None when the text may not fit in
    one row or holds what is laid out otherwise (a tab, a line break, full justification)."""
    plain = text.plain
    justify = text.justify or justify
    overflow = text.overflow or overflow
    if (
        len(plain) > width
        or "\n" in plain
        or "\t" in plain
        or justify not in ("default", "left", "right", "center")
        or overflow == "ignore"
        or text.end not in ("\n", "")
        or cell_len(plain) > width
    ):
        return None
    # Text.wrap leaves the line whole; Lines.justify does this to it
    line = text.copy()
    if justify == "left":
        line.truncate(width, overflow=overflow, pad=True)
    elif justify == "center":
        line.rstrip()
        line.pad_left((width - cell_len(line.plain)) // 2)
        line.pad_right(width - cell_len(line.plain))
    elif justify == "right":
        line.rstrip()
        line.pad_left(width - cell_len(line.plain))
    # Text.__rich_console__ joins the lines (the line's style becomes a span under its others)
    joined = Text(line.plain)
    if line.style:
        joined.spans.append(Span(0, len(joined), line.style))
    joined.spans.extend(line.spans)
    if style:  # render_lines puts `style` under every segment
        row = [
            Segment(part, None if control else style + part_style, control)
            for part, part_style, control in joined.render(console)
        ]
    else:
        row = list(joined.render(console))
    cells = cell_len(joined.plain)
    if pad and cells < width:
        row.append(Segment(" " * (width - cells), style))
    return row
