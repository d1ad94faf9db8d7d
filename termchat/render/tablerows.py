"""Tables drawn from their layout, without rich's Table drawing them: a later piece of a table
printed row by row, and a whole table (or a long one's first rows).

A table that outgrows its sample prints each row once it is complete, in columns whose widths
were fixed from its first rows (see `pieces.Part`). Drawing each such row through a new rich
`Table` measured the columns, built the header and drew a top edge only to cut it off again:
most of the cost of streaming a long table. `RowLayout` notes once per table and terminal
width what that Table does with a body row (each column's width with its padding, how a cell
is wrapped, the edges and dividers), and `draw_rows` draws the rows with it: the same
segments, checked against rich's own drawing in the tests. `draw_table` draws a whole table
so (a short one is drawn again each time a row completes while it streams), and a cell that
fits its column is drawn from its text directly (`onerow`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderableType
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from termchat.render.onerow import one_row

Row = list[Segment]


@dataclass(frozen=True)
class ColumnLayout:
    """How a table draws one column's body cells."""

    width: int  # with the padding
    options: ConsoleOptions
    padding: dict[tuple[bool, bool], tuple[int, int, int, int]]  # by (first row, last row)
    style: Style
    vertical: str
    header_style: Style


@dataclass(frozen=True)
class RowLayout:
    """What a rich Table does with its body rows, at one width (see the module docstring)."""

    columns: list[ColumnLayout]
    edges: list[tuple[Segment, Segment, Segment]]  # (left, right, divider): first, middle, last
    show_edge: bool
    bottom: str  # the bottom edge's characters
    top: str  # the top edge's characters
    head: str  # the line under the header

    @classmethod
    def of(cls, table: Table, console: Console, options: ConsoleOptions) -> RowLayout | None:
        """The layout of `table`'s body rows drawn in `options`; None when this module does not
        draw them as rich would (a title, row styles, lines between rows, no box, no rows)."""
        if (
            table.title
            or table.caption
            or table.row_styles
            or table.show_lines
            or table.leading
            or table.show_footer
            or table.box is None
            or table.width is not None
            or not table.columns
            or any(row.style is not None or row.end_section for row in table.rows)
        ):
            return None
        extra = table._extra_width
        widths = table._calculate_column_widths(
            console, options.update_width(options.max_width - extra)
        )
        table_options = options.update(
            width=sum(widths) + extra, highlight=table.highlight, height=None
        )
        get_style = console.get_style
        border = get_style(table.style or "") + get_style(table.border_style or "")
        shape = table.box.substitute(table_options, safe=table.safe_box or console.safe_box)
        if not table.show_header:
            shape = shape.get_plain_headed_box()
        rows = [
            (shape.head_left, shape.head_right, shape.head_vertical),
            (shape.mid_left, shape.mid_right, shape.mid_vertical),
            (shape.foot_left, shape.foot_right, shape.foot_vertical),
        ]
        edges = []
        for left, right, divider in rows:
            middle = Segment(divider, border)
            if not divider.strip():  # rich gives a blank divider the row's background
                middle = Segment(divider, Style.null().background_style + border)
            edges.append((Segment(left, border), Segment(right, border), middle))
        columns = []
        last = len(table.columns) - 1
        for index, column in enumerate(table.columns):
            padding = {
                (first, final): _padding(table, index == 0, index == last, first, final)
                for first in (False, True)
                for final in (False, True)
            }
            columns.append(
                ColumnLayout(
                    width=widths[index],
                    options=table_options.update(
                        width=widths[index],
                        justify=column.justify,
                        no_wrap=column.no_wrap,
                        overflow=column.overflow,
                        height=None,
                        highlight=column.highlight,
                    ),
                    padding=padding,
                    style=get_style(column.style or ""),
                    vertical=column.vertical,
                    header_style=get_style(table.header_style or "")
                    + get_style(column.header_style),
                )
            )
        return cls(
            columns,
            edges,
            table.show_edge,
            shape.get_bottom(widths),
            shape.get_top(widths),
            shape.get_row(widths, "head", edge=table.show_edge),
        )


def _padding(
    table: Table, first_column: bool, last_column: bool, first_row: bool, last_row: bool
) -> tuple[int, int, int, int]:
    """A cell's padding, by rich's rules for collapsed padding and padded edges."""
    top, right, bottom, left = table.padding
    if table.collapse_padding:
        if not first_column:
            left = max(0, left - right)
        if not last_row:
            bottom = max(0, top - bottom)
    if not table.pad_edge:
        if first_column:
            left = 0
        if last_column:
            right = 0
        if first_row:
            top = 0
        if last_row:
            bottom = 0
    return top, right, bottom, left


def draw_rows(
    console: Console,
    layout: RowLayout,
    rows: Sequence[Sequence[RenderableType]],
    *,
    bottom: bool,
    headed: bool = False,
) -> Iterator[Segment]:
    """The table's body `rows` (cells, one per column), then its bottom edge when `bottom`,
    each line ended by a newline. `headed`: a header row was drawn above them (else the
    first of them takes the header's edges and padding, as in rich)."""
    for index, cells in enumerate(rows):
        first, last = index == 0 and not headed, index == len(rows) - 1
        edges = layout.edges[0 if first else (2 if last else 1)]
        yield from _draw_row(console, layout, cells, (first, last), edges)
    if bottom and layout.show_edge:
        yield Segment(layout.bottom, layout.edges[0][0].style)
        yield Segment.line()


def draw_table(
    console: Console, layout: RowLayout, table: Table, *, bottom: bool = True
) -> Iterator[Segment]:
    """All of `table` (its layout: `layout`), as its own rendering draws it: the top edge,
    the header and the line under it (when it shows its header), the body rows and (when
    `bottom`) the bottom edge."""
    new_line = Segment.line()
    border = layout.edges[0][0].style
    rows = list(zip(*(column.cells for column in table.columns), strict=True))
    if layout.show_edge:
        yield Segment(layout.top, border)
        yield new_line
    if table.show_header:
        header = [column.header for column in table.columns]
        place = (True, not rows)
        yield from _draw_row(console, layout, header, place, layout.edges[0], header=True)
        yield Segment(layout.head, border)
        yield new_line
    yield from draw_rows(console, layout, rows, bottom=bottom, headed=table.show_header)


def _draw_row(
    console: Console,
    layout: RowLayout,
    cells: Sequence[RenderableType],
    place: tuple[bool, bool],
    edges: tuple[Segment, Segment, Segment],
    *,
    header: bool = False,
) -> Iterator[Segment]:
    """One row's lines: `place` is whether it is the table's first and last row (for the
    cells' padding), `edges` the row's left, right and divider; a header row is drawn in the
    columns' header styles and aligned to the bottom."""
    drawn = []
    for column, cell in zip(layout.columns, cells, strict=True):
        padding = column.padding[place]
        style = column.header_style if header else column.style
        row = _cell_row(console, column, cell, padding, style) if isinstance(cell, Text) else None
        if row is not None:
            drawn.append([row])
            continue
        renderable = Padding(cell, padding)
        drawn.append(console.render_lines(renderable, column.options, style=style))
    aligned = max(len(lines) for lines in drawn)  # rich aligns to this
    height = max(1, aligned)  # and draws at least one line (a column 0 wide draws none)
    shaped = []
    for column, lines in zip(layout.columns, drawn, strict=True):
        style = column.header_style if header else column.style
        vertical = "bottom" if header else column.vertical
        if vertical == "middle":
            lines = Segment.align_middle(lines, column.width, aligned, style)
        elif vertical == "bottom":
            lines = Segment.align_bottom(lines, column.width, aligned, style)
        else:
            lines = Segment.align_top(lines, column.width, aligned, style)
        shaped.append(Segment.set_shape(lines, column.width, height))
    left, right, divider = edges
    new_line = Segment.line()
    for line in range(height):
        if layout.show_edge:
            yield left
        for number, lines in enumerate(shaped):
            yield from lines[line]
            if number < len(shaped) - 1:
                yield divider
        if layout.show_edge:
            yield right
        yield new_line


def _cell_row(
    console: Console,
    column: ColumnLayout,
    cell: Text,
    padding: tuple[int, int, int, int],
    style: Style,
) -> Row | None:
    """The one row `render_lines(Padding(cell, padding), column.options, style=style)`
    draws for a cell that fits its column (see `onerow`), made without rendering the padding
    and the text through rich; None for any other cell."""
    top, right, bottom, left = padding
    options = column.options
    width = options.max_width - left - right
    if top or bottom or width < 1:
        return None
    none = console.get_style("none")  # the Padding's style
    inner = one_row(
        console,
        cell,
        width,
        none,
        justify=options.justify or "default",
        overflow=options.overflow or "fold",
        pad=True,
    )
    if inner is None:
        return None
    row = [Segment(" " * left, none), *inner] if left else inner
    if right:
        row.append(Segment(" " * right, none))
    if not style:
        return row
    return [
        Segment(text, None if control else style + part, control) for text, part, control in row
    ]
