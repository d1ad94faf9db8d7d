"""A list's nested pieces drawn in their items: below the padding, or without rows printed."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style

from termchat.render.pieces import Part


class Padded:
    """Rows drawn inside the items that hold a nested piece of a list (`Part.holders`), below
    their bullet rows: each level as rich's list item draws its later rows (`Part.pads`
    columns of padding in the bullet's style, the item's style applied, the width that much
    less). When `Part.numbered`, the outermost level is a numbered item's: its padding is in
    the number's style.

    The rows are rendered once, at the innermost width, and every level's padding and style
    added to them in one pass: the same segments the levels drawn one inside another give,
    without re-splitting every row once a level."""

    def __init__(self, inner: RenderableType, part: Part) -> None:
        self.inner, self.part = inner, part

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        item = console.get_style("markdown.item", default="none")
        bullet = console.get_style("markdown.item.bullet", default="none")
        outer = max(0, self.part.depth - 1)  # levels around the innermost one
        width = max(0, options.max_width - self.part.inset)
        lines = console.render_lines(self.inner, options.update(width=width), style=item)
        if item and outer:  # each outer level applies the item's style again
            around = _repeated(item, outer)
            lines = [list(Segment.apply_style(line, around)) for line in lines]
        number = console.get_style("markdown.item.number", default="none")
        paddings = []  # the outermost level's first; each inner one has the item's style once more
        around = Style()  # what the levels outside apply to a level's padding
        for level, columns in enumerate(self.part.pads):
            style = number if level == 0 and self.part.numbered else bullet
            paddings.append(Segment(" " * columns, around + style if around else style))
            around = item + around if item else around
        new_line = Segment("\n")
        for line in lines:
            yield from paddings
            yield from line
            yield new_line


def _repeated(style: Style, times: int) -> Style:
    """`style` added to itself `times` times: what `times` levels applying it give."""
    total = style
    for _ in range(times - 1):
        total = style + total
    return total


class Cropped:
    """`whole` drawn without the rows `head` draws at its top (a nested piece of a list that
    cannot be read on its own: drawn with its item, the item's rows printed already left out),
    and `more` rows after them (printed already some other way)."""

    def __init__(self, whole: RenderableType, head: RenderableType, more: int = 0) -> None:
        self.whole, self.head, self.more = whole, head, more

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        skip = len(console.render_lines(self.head, options, pad=False)) + self.more
        new_line = Segment("\n")
        for line in console.render_lines(self.whole, options, pad=False)[skip:]:
            yield from line
            yield new_line


class KeptRows:
    """`inner` drawn once for each width, its rows kept and given again after: the lines of
    an item printed already, which a growing piece is drawn after every frame (`Cropped`)."""

    def __init__(self, inner: RenderableType) -> None:
        self.inner = inner
        self._rows: dict[int, list[list[Segment]]] = {}

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = self._rows.get(options.max_width)
        if rows is None:
            rows = self._rows[options.max_width] = console.render_lines(
                self.inner, options, pad=False
            )
        new_line = Segment("\n")
        for row in rows:
            yield from row
            yield new_line
