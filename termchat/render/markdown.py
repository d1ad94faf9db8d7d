"""Markdown for untrusted answers: sanitized, visible link targets, no HTML, blockwise printing."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any, ClassVar

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markdown import ListElement, Markdown, MarkdownElement, TableElement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from termchat.render.blocks import dedent, make_parser
from termchat.render.code import PaddedCodeBlock, count_code_blocks, known_lexer
from termchat.render.pieces import Part, Piece, bullet_column, list_context, reads_alone
from termchat.render.sanitize import sanitize, show_hidden
from termchat.render.styles import CodeTheme
from termchat.render.tablerows import RowLayout, draw_rows


@lru_cache(maxsize=1)
def shared_parser() -> MarkdownIt:
    """One parser of termchat's dialect, block and inline, for every drawing."""
    return make_parser()


class PieceList(ListElement):
    """A list that may be one piece of a longer list: numbered from `Part.number`, its
    numbers `Part.digits` wide (see `Part`)."""

    digits = 0

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> ListElement:
        element = cls(token.type, int(token.attrs.get("start", 1)))
        part = getattr(markdown, "part", None)
        if token.level == 0 and part is not None and part.kind == "list":
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

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> MarkdownElement:
        element = cls()
        part = getattr(markdown, "part", None)
        if token.level == 0 and part is not None and part.kind == "table":
            element.part = part
            element.measuring = getattr(markdown, "measuring", False)
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
        if part is None:
            yield from super().__rich_console__(console, options)
            return
        if self.measuring:
            self._measure(console, options)
            return
        widths = part.widths.get(options.max_width, [])
        if not widths:
            if part.first:  # the sample's rows are this piece's first rows
                self._measure(console, options, part.sample.count("\n") - 2)
            else:
                sample = SafeMarkdown(part.sample, part=replace(part, first=True))
                sample.measuring = True
                console.render_lines(sample, options, pad=False)
            widths = part.widths.get(options.max_width, [])
        drawn = None if part.first else self._draw_later(console, options, widths)
        if drawn is not None:
            yield from drawn
            return
        lines = console.render_lines(self.table(widths), options, pad=False)
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


class SafeMarkdown(Markdown):
    """rich's Markdown with termchat's rules for text a model wrote.

    The text should already be sanitized (the parser can still produce control characters from
    entities like `&#x202e;`, so every token is sanitized again). Raw HTML shows as text. Links
    render as `text (target)` and never as OSC 8 hyperlinks; autolinks show their URL once;
    images show as `image: alt (target)`.

    Args:
        text: The Markdown source.
        code_theme: Pygments theme for fenced code.
        references: Reference definitions known from earlier blocks of the same answer.
        part: When `text` is a piece of a list or table printed in pieces, how it is drawn
            (a later piece of a table is read under the table's header; see `Part`).
        code_start: The number of its first code block, shown above it (0: no numbers).
    """

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "fence": PaddedCodeBlock,
        "code_block": PaddedCodeBlock,
        "bullet_list_open": PieceList,
        "ordered_list_open": PieceList,
        "table_open": PieceTable,
    }

    def __init__(
        self,
        text: str,
        *,
        code_theme: CodeTheme = "monokai",
        references: dict[str, Any] | None = None,
        part: Part | None = None,
        code_start: int = 0,
    ) -> None:
        if part is not None and part.kind == "table" and not part.first:
            text = part.head + text
        # Markdown.__init__ would build a new parser for every block (a quarter of a
        # millisecond each), so set what it sets with the shared parser instead.
        env: dict[str, Any] = {"references": dict(references)} if references else {}
        self.markup = text
        self.parsed = _clean(shared_parser().parse(text, env))
        self.code_theme = code_theme  # type: ignore[assignment]  # rich takes a SyntaxTheme too
        self.code_start = code_start
        self.codes_drawn = 0
        self.justify = None
        self.style = "none"
        self.hyperlinks = False
        self.inline_code_lexer = None
        self.inline_code_theme = code_theme if isinstance(code_theme, str) else "monokai"  # unused
        self.part = part
        self.measuring = False

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.codes_drawn = 0  # each drawing numbers its code blocks from `code_start` again
        rendered = iter(super().__rich_console__(console, options))
        if self.part is not None and not self.part.first:
            # a later piece of a block: the blank line before the block was printed already
            first = next(rendered, None)
            if first is not None and first != Segment.line():
                yield first
        yield from rendered


class Padded:
    """Rows drawn `depth` bulleted lists deep, below the bullet rows of their items: each
    level as rich's list item draws its later rows (3 columns of padding in the bullet's
    style, the item's style applied, the width 3 columns less). With `number_width`, the
    outermost level is a numbered item's: that many columns in the number's style.

    The rows are rendered once, at the innermost width, and every level's padding and style
    added to them in one pass: the same segments the levels drawn one inside another give,
    without re-splitting every row once a level."""

    def __init__(self, inner: RenderableType, depth: int, number_width: int = 0) -> None:
        self.inner, self.depth, self.number_width = inner, depth, number_width

    @classmethod
    def of(cls, inner: RenderableType, part: Part) -> Padded:
        """`inner` drawn inside the items that hold a nested piece of a list (`Part.holders`)."""
        return cls(inner, part.depth, part.digits + 2 if part.numbered else 0)

    @property
    def inset(self) -> int:
        """Columns the padding takes: `inner` is drawn that much narrower."""
        return 3 * max(self.depth, 1) + (self.number_width - 3 if self.number_width else 0)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        item = console.get_style("markdown.item", default="none")
        bullet = console.get_style("markdown.item.bullet", default="none")
        outer = max(0, self.depth - 1)  # levels around the innermost one
        levels = [3] * max(self.depth, 1)
        if self.number_width:
            levels[0] = self.number_width
        width = max(0, options.max_width - sum(levels))
        lines = console.render_lines(self.inner, options.update(width=width), style=item)
        if item and outer:  # each outer level applies the item's style again
            around = _repeated(item, outer)
            lines = [list(Segment.apply_style(line, around)) for line in lines]
        number = console.get_style("markdown.item.number", default="none")
        paddings = []  # the outermost level's first; each inner one has the item's style once more
        around = Style()  # what the levels outside apply to a level's padding
        for level, columns in enumerate(levels):
            style = number if level == 0 and self.number_width else bullet
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


class BlockPrinter:
    """Turns finished Markdown blocks into renderables that print like one whole document.

    rich's Markdown writes a blank line before a top-level block when the element it closed
    last asks for one (every element but a thematic break). A block that holds nested blocks
    (a list, a quote, a table) closes inner elements first, so it brings its own blank line,
    even at the top of a document; other blocks rely on the one before. The printer replays
    that rule across separately rendered blocks.

    Args:
        code_theme: Pygments theme for fenced code.
        references: Shared reference definitions (the splitter's), or None.
        number_code: Number the code blocks (from 1, across the blocks it prints).
    """

    def __init__(
        self,
        code_theme: CodeTheme,
        references: dict[str, Any] | None = None,
        *,
        number_code: bool = False,
    ) -> None:
        self.code_theme = code_theme
        self.references = references
        self.separator_due = False
        self.number_code = number_code
        self.codes = 0  # code blocks printed so far
        # the last head a piece was drawn after (see `_after`): what it was read with, read,
        # and its rows; the same lines every frame while a block grows
        self._head: tuple[tuple[Any, ...], SafeMarkdown, KeptRows] | None = None

    def note_code(self, count: int = 1) -> None:
        """Count code blocks printed without this printer (a fence streamed line by line)."""
        self.codes += count

    def markdown(self, block: str, part: Part | None = None) -> SafeMarkdown:
        """Parse one block (or piece, see `Part`) with this printer's theme and references."""
        return SafeMarkdown(
            block,
            code_theme=self.code_theme,
            references=self.references,
            part=part,
            code_start=self.codes + 1 if self.number_code else 0,
        )

    def _counted(self, block: str, part: Part | None = None) -> SafeMarkdown:
        """`markdown`, for a block that is printed now: its code blocks are counted."""
        markdown = self.markdown(block, part)
        self.codes += count_code_blocks(markdown.parsed)
        return markdown

    def block(self, block: str) -> list[RenderableType]:
        """Renderables for one finished block, separator included (empty if it shows nothing)."""
        return self._separated(self._counted(block))

    def piece(self, piece: Piece) -> list[RenderableType]:
        """Renderables for a finished piece: a whole block, or a part of a list or table."""
        part = piece.part
        if part is None:
            return self.block(piece.text)
        if part.first:
            return self._separated(self._counted(piece.text, part))
        if part.kind == "list" and not piece.text.strip():
            return []  # the end of a list: nothing to draw
        self.separator_due = True  # lists and tables bring their own blank line
        if part.depth:
            nested, codes = self._nested(piece.text, part)
            self.codes += codes
            return [nested]
        if part.kind == "list":
            later, codes = self._later_item(piece.text, part)
            self.codes += codes
            return [later]
        return [self._counted(piece.text, part)]

    def _later_item(self, text: str, part: Part) -> tuple[RenderableType, int]:
        """A later piece of a top-level list, and the code blocks in it: read on its own
        when it reads as a list so; else (`- a | b` over a delimiter row reads as a table)
        after an item like its first (`list_context`), that item's rows left out."""
        markdown = self.markdown(text, part)
        context = list_context(text)
        blocks = [t for t in markdown.parsed if t.level == 0 and t.nesting >= 0 and t.map]
        if not context or (blocks and blocks[0].type in _LISTS):
            return markdown, count_code_blocks(markdown.parsed)
        return self._after(context, text, replace(part, number=max(0, part.number - 1)))

    def _nested(self, text: str, part: Part) -> tuple[RenderableType, int]:
        """A piece of a list's item that starts `part.depth` lists deep (see `Part`), and the
        code blocks in it. Read on its own, `part.column` spaces off each line, when that
        reads as it does in the whole list (`reads_alone`); else drawn with the item's
        lines printed already (`part.head`) and their rows left out."""
        top = replace(part, head="", holders=())
        lazy: list[int] = []
        body = dedent(text, part.column, lazy)
        if body is not None:
            markdown = self.markdown(body, top)
            blocks = [t for t in markdown.parsed if t.level == 0 and t.nesting >= 0 and t.map]
            if reads_alone(markdown.parsed, body, lazy):
                width = part.digits + 2 if part.numbered else 0
                if len(blocks) == 1:
                    return Padded(markdown, part.depth, width), count_code_blocks(markdown.parsed)
                return self._padded_blocks(body, blocks, top, (part.depth, width))
        return self._after(part.head, text, top)

    def _padded_blocks(
        self, body: str, blocks: list[Token], part: Part, padding: tuple[int, int]
    ) -> tuple[RenderableType, int]:
        """An item's blocks (`body`, read on its own) each drawn alone below the item's
        padding: rich draws an item's blocks one under another, with no blank line between
        them as there would be between blocks of a document; `padding`: `Padded`'s depth and
        number width. And the code blocks in them."""
        lines = body.splitlines(keepends=True)
        cuts = [int(block.map[0]) if block.map else 0 for block in blocks[1:]]
        drawn: list[RenderableType] = []
        codes = 0
        for start, end in zip([0, *cuts], [*cuts, len(lines)], strict=True):
            markdown = SafeMarkdown(
                "".join(lines[start:end]),
                code_theme=self.code_theme,
                references=self.references,
                part=part,
                code_start=self.codes + 1 + codes if self.number_code else 0,
            )
            codes += count_code_blocks(markdown.parsed)
            drawn.append(Padded(markdown, *padding))
        return Group(*drawn), codes

    def rest_after(self, piece: Piece, printed: int) -> RenderableType:
        """A nested piece of a list whose first `printed` rows were printed already (a code
        block streamed line by line), drawn with its item's lines, those rows left out."""
        part = piece.part
        assert part is not None
        self.separator_due = True
        top = replace(part, head="", holders=())
        drawn, codes = self._after(part.head, piece.text, top)
        self.codes += codes
        assert isinstance(drawn, Cropped)
        drawn.more = printed
        return drawn

    def preview_after(self, text: str, part: Part, printed: int) -> RenderableType:
        """`rest_after` for the unfinished tail: the same drawing, no state change."""
        top = replace(part, head="", holders=())
        drawn, _ = self._after(part.head, text, top)
        assert isinstance(drawn, Cropped)
        drawn.more = printed
        return drawn

    def _after(self, head: str, text: str, part: Part) -> tuple[RenderableType, int]:
        """`text` drawn read after `head` (lines printed already, or an item for context),
        the rows `head` draws left out; and the code blocks in `text`."""
        key = (head, part, self.codes, len(self.references or ()))
        if self._head is None or self._head[0] != key:
            read = self.markdown(head, part)
            self._head = (key, read, KeptRows(read))
        _, drawn_head, rows = self._head
        before = count_code_blocks(drawn_head.parsed)
        whole = SafeMarkdown(
            head + text,
            code_theme=self.code_theme,
            references=self.references,
            part=part,
            code_start=self.codes + 1 - before if self.number_code else 0,
        )
        return Cropped(whole, rows), count_code_blocks(whole.parsed) - before

    def _separated(self, markdown: SafeMarkdown) -> list[RenderableType]:
        leading, trailing = newline_effects(markdown.parsed)
        if trailing is None:
            return []
        out: list[RenderableType] = [Text()] if leading is None and self.separator_due else []
        out.append(markdown)
        self.separator_due = trailing
        return out

    def preview(self, block: str, part: Part | None = None) -> list[RenderableType]:
        """Like `block` (or `piece`, for the rest of a list or table printed in pieces) for
        the unfinished tail: the same renderables, no state change."""
        if part is not None and part.depth:
            return self._nested_preview(block, part)
        if part is not None and not part.first:
            return [
                self._later_item(block, part)[0]
                if part.kind == "list"
                else self.markdown(block, part)
            ]
        markdown = self.markdown(block, part)
        leading, trailing = newline_effects(markdown.parsed)
        if trailing is None:
            return []
        return [Text(), markdown] if leading is None and self.separator_due else [markdown]

    def _nested_preview(self, block: str, part: Part) -> list[RenderableType]:
        """`preview` of a list's tail inside a nested item. A line just begun further out
        (the next item of an outer list, most likely) is drawn as that item, at its depth,
        rather than the whole item drawn again; it prints as it really reads once complete."""
        complete, newline, partial = block.rpartition("\n")
        column = bullet_column(partial)
        if (
            newline
            and column is not None
            and dedent(partial, part.column) is None
            and dedent(complete + newline, part.column) is not None
        ):
            holders = tuple(c for c in part.holders if c <= column)
            top = replace(part, head="", holders=())
            out = [self._nested(complete + newline, part)[0]]
            if holders:
                out.append(self._nested(partial, replace(part, holders=holders))[0])
            else:
                out.append(self.markdown(partial, top))
            return out
        return [self._nested(block, part)[0]]

    def separator_before_leaf(self) -> list[RenderableType]:
        """The blank line due before a leaf block (paragraph, heading, code) printed piecewise."""
        return [Text()] if self.separator_due else []

    def note_leaf(self) -> None:
        """Record that a leaf block other than a thematic break was printed piecewise."""
        self.separator_due = True


_LISTS = ("bullet_list_open", "ordered_list_open")
_INLINE_STYLES = {"em", "strong", "code", "s"}
_NO_NEW_LINE = {"hr"}
_NOT_ELEMENTS = {"text", "hardbreak", "softbreak", "link_open", "link_close", "html_inline"}


def newline_effects(tokens: list[Token]) -> tuple[bool | None, bool | None]:
    """Replay rich's blank-line rule over a parsed block.

    Returns:
        (leading, trailing): whether the block itself sets the blank-line flag before its first
        top-level element renders (None: it inherits the flag from the block before), and the
        flag after the block (None: nothing renders, the flag is unchanged).
    """
    flag: bool | None = None
    leading: bool | None = None
    rendered = False
    for token in _flatten(tokens):
        if token.type in _NOT_ELEMENTS or (
            token.tag in _INLINE_STYLES and token.type not in ("fence", "code_block")
        ):
            continue
        if token.nesting == 1:
            continue
        if token.level == 0 and not rendered:
            leading, rendered = flag, True
        flag = token.type not in _NO_NEW_LINE
    return leading, flag if rendered else None


def _flatten(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        if token.children and token.type != "fence" and token.tag != "img":
            out.extend(_flatten(token.children))
        else:
            out.append(token)
    return out


def _clean(tokens: list[Token]) -> list[Token]:
    """Sanitize every token and rewrite links and images for display."""
    out: list[Token] = []
    for token in tokens:
        if token.content:
            token.content = sanitize(token.content)
        if token.info:
            token.info = sanitize(token.info)
            if token.type == "fence" and not known_lexer(token.info.partition(" ")[0]):
                # rich would fall back to plain text anyway, after a slow lookup every time
                token.info = "text"
        if token.children:
            token.children = _clean_inline(token.children)
        out.append(token)
    return out


def _clean_inline(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    skip_close = 0
    for index, token in enumerate(tokens):
        if token.content:
            token.content = sanitize(token.content)
        if token.type == "link_open":
            href = sanitize(str(token.attrs.get("href", "")))
            token.attrs["href"] = href
            if token.markup == "autolink" or _link_text(tokens, index) == href:
                skip_close += 1  # the text already is the target: show it once
                tokens[index + 1].content = show_hidden(tokens[index + 1].content)  # exactly
                continue
        elif token.type == "link_close" and skip_close:
            skip_close -= 1
            continue
        elif token.type == "image":
            out.extend(_image_as_link(token))
            continue
        out.append(token)
    return out


def _link_text(tokens: list[Token], index: int) -> str | None:
    """The plain text of a link that holds a single text token, else None."""
    if index + 2 < len(tokens) and tokens[index + 2].type == "link_close":
        middle = tokens[index + 1]
        if middle.type == "text":
            return middle.content
    return None


def _image_as_link(token: Token) -> list[Token]:
    """An image as `image: alt (target)`; rich would draw it apart from its paragraph."""
    src = sanitize(str(token.attrs.get("src", "")))
    if src.startswith("data:"):
        src = src.split(",", 1)[0] + ",…"
    alt = sanitize(token.content)
    label = f"image: {alt}" if alt else "image"
    return [
        Token("link_open", "a", 1, attrs={"href": src}),
        Token("text", "", 0, content=label),
        Token("link_close", "a", -1),
    ]
