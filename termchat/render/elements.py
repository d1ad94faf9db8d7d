"""Markdown elements for a list or table printed in pieces: numbered and laid out as the whole."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from markdown_it.token import Token
from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import ListElement, Markdown, MarkdownElement, TableElement
from rich.segment import Segment
from rich.table import Table

from termchat.render.pieces import Part
from termchat.render.tablerows import RowLayout, draw_rows, draw_table


class PieceList(ListElement):
    """A list that may be one piece of a longer list: numbered from `Part.number`, its
    numbers `Part.digits` wide (see `Part`)."""

    digits = 0

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> ListElement:
        element = cls(token.type, int(token.attrs.get("start", 1)))
        part = getattr(markdown, "part", None)
        # a numbered list's piece goes on with its list's numbers; a numbered list begun
        # right below a bulleted one (read as the bulleted list's piece while its first line
        # arrives) is a list of its own
        if token.level == 0 and part is not None and part.ordered:
            element.list_start, element.digits = part.number, part.digits
        return element

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.digits or self.list_type != "ordered_list_open":
            yield from super().__rich_console__(console, options)
            return
        number = self.list_start or 0
        last = 10 ** (self.digits - 1)  # rich takes the width from this number's digits
        for index, item in enumerate(self.items):
            yield from item.render_number(console, options, number + index, last)


class PieceTable(TableElement):
    """A table that may be one piece of a longer table: its columns as wide as rich makes them
    for the table's first rows, with room to grow (`with_room_to_grow`); the header and edges
    only where the piece has them (see `Part`)."""

    part: Part | None = None
    measuring = False
    # what reads a later piece's sample for the widths: the class of the Markdown that read
    # this piece (termchat's, which takes `part` and `measuring`), not imported from there
    reader: Callable[..., Markdown] | None = None

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> MarkdownElement:
        element = cls()
        part = getattr(markdown, "part", None)
        if token.level == 0 and part is not None and part.kind == "table":
            element.part = part
            element.measuring = getattr(markdown, "measuring", False)
            element.reader = type(markdown)
        return element

    def table(self, widths: list[int] | None = None, rows: int | None = None) -> Table:
        """The table as rich's Markdown builds it; with `widths`, columns that wide; with
        `rows`, only its first rows."""
        table = Table(
            box=box.SIMPLE,
            pad_edge=False,
            style="markdown.table.border",
            show_edge=True,
            collapse_padding=True,
            show_header=self.part is None or self.part.first,
        )
        if self.header is not None and self.header.row is not None:
            for index, column in enumerate(self.header.row.cells):
                heading = column.content.copy()
                heading.stylize("markdown.table.header")
                width = widths[index] if widths and index < len(widths) else None
                table.add_column(heading, width=width)
        if self.body is not None:
            # rows past the sample are cut to columns not fitted to them: fold their words,
            # where rich would cut them short with an ellipsis, so nothing is lost
            part = self.part
            known = part.sample.count("\n") - 2 if part is not None and part.first else 0
            for index, row in enumerate(self.body.rows[:rows]):
                cells = [element.content for element in row.cells]
                if widths is not None and index >= known:
                    for cell in cells:
                        cell.overflow = "fold"
                table.add_row(*cells)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        part = self.part
        if part is None:  # the whole table, from its layout (as its rich Table draws it)
            table = self.table()
            layout = RowLayout.of(table, console, options)
            if layout is None:
                yield table
            else:
                yield from draw_table(console, layout, table)
            return
        if self.measuring:
            self._measure(console, options)
            return
        widths = part.widths.get(options.max_width, [])
        if not widths:
            if part.first:  # the sample's rows are this piece's first rows
                self._measure(console, options, part.sample.count("\n") - 2)
            else:
                assert self.reader is not None
                sample = self.reader(part.sample, part=replace(part, first=True), measuring=True)
                console.render_lines(sample, options, pad=False)
            widths = part.widths.get(options.max_width, [])
        drawn = None if part.first else self._draw_later(console, options, widths)
        if drawn is not None:
            yield from drawn
            return
        table = self.table(widths)
        layout = RowLayout.of(table, console, options) if part.first else None
        if layout is not None:  # the first piece: all but the bottom edge, unless it is last
            yield from draw_table(console, layout, table, bottom=part.last)
            return
        lines = console.render_lines(table, options, pad=False)
        lines = lines[(0 if part.first else 1) : (None if part.last else -1)]
        newline = Segment.line()
        for line in lines:
            yield from line
            yield newline

    def _draw_later(
        self, console: Console, options: ConsoleOptions, widths: list[int]
    ) -> list[Segment] | None:
        """A later piece's rows drawn with the table's noted layout, as its rich Table would
        draw them below the top edge; None when that layout cannot draw them."""
        part = self.part
        assert part is not None
        rows = [[cell.content for cell in row.cells] for row in self.body.rows] if self.body else []
        key = (id(console), options.max_width, options.encoding, options.legacy_windows)
        if key not in part.layouts:
            part.layouts[key] = RowLayout.of(self.table(widths), console, options)
        layout = part.layouts[key]
        if layout is None or not rows or any(len(r) != len(layout.columns) for r in rows):
            return None
        for cells in rows:  # columns not fitted to them: words fold rather than being cut
            for cell in cells:
                cell.overflow = "fold"
        return list(draw_rows(console, layout, rows, bottom=part.last))

    def _measure(self, console: Console, options: ConsoleOptions, rows: int | None = None) -> None:
        """Note rich's own layout of the columns (of the first `rows` rows) for the pieces."""
        assert self.part is not None
        table = self.table(rows=rows)
        room = options.max_width - table._extra_width
        widths = table._calculate_column_widths(console, options.update_width(room))
        padding = [table._get_padding_width(index) for index in range(len(widths))]
        content = [w - p for w, p in zip(widths, padding, strict=True)]
        self.part.widths[options.max_width] = with_room_to_grow(content, room - sum(widths))


def with_room_to_grow(widths: list[int], spare: int) -> list[int]:
    """Column widths for the rows still to come: each column gets a share of the `spare`
    cells in proportion to its width, at most as much again (a size column of "85 kB" fits a
    later "104 kB" instead of wrapping it)."""
    total = sum(widths)
    if spare <= 0 or not total:
        return widths
    return [width + min(width, spare * width // total) for width in widths]
