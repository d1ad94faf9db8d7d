"""Markdown for untrusted answers (`SafeMarkdown`), printed block by block (`BlockPrinter`)."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any, ClassVar

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markdown import Markdown, MarkdownElement
from rich.segment import Segment
from rich.text import Text

from termchat.render.blocks import make_parser
from termchat.render.cleaning import clean_tokens
from termchat.render.code import PaddedCodeBlock, count_code_blocks
from termchat.render.elements import PieceList, PieceTable
from termchat.render.indent import dedent
from termchat.render.padded import Cropped, KeptRows, Padded
from termchat.render.pieces import Part, Piece, bullet_column, list_context, reads_alone
from termchat.render.plaindraw import PlainItem
from termchat.render.styles import CodeTheme


@lru_cache(maxsize=1)
def shared_parser() -> MarkdownIt:
    """One parser of termchat's dialect, block and inline, for every drawing."""
    return make_parser()


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
        measuring: Drawn only to note a table's column widths in `part` (see `PieceTable`).
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
        measuring: bool = False,
    ) -> None:
        if part is not None and part.kind == "table" and not part.first:
            text = part.head + text
        # Markdown.__init__ would build a new parser for every block (a quarter of a
        # millisecond each), so set what it sets with the shared parser instead.
        env: dict[str, Any] = {"references": dict(references)} if references else {}
        self.markup = text
        self.parsed = clean_tokens(shared_parser().parse(text, env))
        self.code_theme = code_theme  # type: ignore[assignment]  # rich takes a SyntaxTheme too
        self.code_start = code_start
        self.codes_drawn = 0
        self.justify = None
        self.style = "none"
        self.hyperlinks = False
        self.inline_code_lexer = None
        self.inline_code_theme = code_theme if isinstance(code_theme, str) else "monokai"  # unused
        self.part = part
        self.measuring = measuring

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.codes_drawn = 0  # each drawing numbers its code blocks from `code_start` again
        rendered = iter(super().__rich_console__(console, options))
        if self.part is not None and not self.part.first:
            # a later piece of a block: the blank line before the block was printed already
            first = next(rendered, None)
            if first is not None and first != Segment.line():
                yield first
        yield from rendered


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

    def markdown(self, block: str, part: Part | None = None, codes: int = 0) -> SafeMarkdown:
        """Parse one block (or piece, see `Part`) with this printer's theme and references;
        `codes`: code blocks drawn since those counted (negative: counted, drawn again)."""
        return SafeMarkdown(
            block,
            code_theme=self.code_theme,
            references=self.references,
            part=part,
            code_start=self.codes + 1 + codes if self.number_code else 0,
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
        item = PlainItem.of(text)
        if item is not None:  # the most common item: drawn without parsing it
            return item, 0
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
        item = PlainItem.of(body) if body is not None and not lazy and not part.first else None
        if item is not None:  # the most common item: drawn without parsing it
            return Padded(item, part), 0
        if body is not None:
            markdown = self.markdown(body, top)
            blocks = [t for t in markdown.parsed if t.level == 0 and t.nesting >= 0 and t.map]
            if reads_alone(markdown.parsed, body, lazy):
                if len(blocks) == 1:
                    return Padded(markdown, part), count_code_blocks(markdown.parsed)
                return self._padded_blocks(body, blocks, top, part)
        return self._after(part.head, text, top)

    def _padded_blocks(
        self, body: str, blocks: list[Token], top: Part, part: Part
    ) -> tuple[RenderableType, int]:
        """An item's blocks (`body`, read on its own as `top`) each drawn alone below the
        padding of the items that hold `part`: rich draws an item's blocks one under another,
        with no blank line between them as there would be between blocks of a document. And
        the code blocks in them."""
        lines = body.splitlines(keepends=True)
        cuts = [int(block.map[0]) if block.map else 0 for block in blocks[1:]]
        drawn: list[RenderableType] = []
        codes = 0
        for start, end in zip([0, *cuts], [*cuts, len(lines)], strict=True):
            markdown = self.markdown("".join(lines[start:end]), top, codes)
            codes += count_code_blocks(markdown.parsed)
            drawn.append(Padded(markdown, part))
        return Group(*drawn), codes

    def rest_after(self, piece: Piece, printed: int) -> RenderableType:
        """A nested piece of a list whose first `printed` rows were printed already (a code
        block streamed line by line), drawn with its item's lines, those rows left out."""
        part = piece.part
        assert part is not None
        self.separator_due = True
        drawn, codes = self._cropped_after(piece.text, part, printed)
        self.codes += codes
        return drawn

    def preview_after(self, text: str, part: Part, printed: int) -> RenderableType:
        """`rest_after` for the unfinished tail: the same drawing, no state change."""
        return self._cropped_after(text, part, printed)[0]

    def _cropped_after(self, text: str, part: Part, printed: int) -> tuple[Cropped, int]:
        drawn, codes = self._after(part.head, text, replace(part, head="", holders=()))
        assert isinstance(drawn, Cropped)
        drawn.more = printed
        return drawn, codes

    def _after(self, head: str, text: str, part: Part) -> tuple[RenderableType, int]:
        """`text` drawn read after `head` (lines printed already, or an item for context),
        the rows `head` draws left out; and the code blocks in `text`."""
        key = (head, part, self.codes, len(self.references or ()))
        if self._head is None or self._head[0] != key:
            read = self.markdown(head, part)
            self._head = (key, read, KeptRows(read))
        _, drawn_head, rows = self._head
        before = count_code_blocks(drawn_head.parsed)
        whole = self.markdown(head + text, part, -before)
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
