"""Lists and tables printed in pieces before they end: where they split, how pieces are read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from termchat.render.tokens import token_lines

HOLD_LINES = 40
"""A numbered list is held whole until its width is known (see `Part`), but no longer than
this many lines: redrawing a long held list every frame would cost more than the list."""

MAX_NESTING = 100
"""How deep the parser nests blocks (a list is two levels: the list and its item). CommonMark's
preset stops at 20, ten lists deep, and the parser then takes every later line of the block
into the deepest one and drops it; at 100, fifty lists deep is far more than any terminal
can show (each level takes columns off the width)."""

FREEZE_CELLS = 12
"""A growing table is held whole (redrawn as it grows, its columns fitted to all its rows) while
its body has at most this many cells; then its rows print as they complete, in the column
widths of its first rows with room to grow (see `Part`)."""


@dataclass(frozen=True)
class Part:
    """How a piece of a top-level list or table printed before the block ended is drawn.

    A list prints each item once the next one starts; a table, once it outgrows FREEZE_CELLS,
    prints each row once the row is complete, in the column widths of its first rows, widened
    where the terminal has room (rich fits the columns to all rows; a table printed as it grows
    cannot know them, and a later cell too long for its column wraps inside it). A
    numbered list fixes the width of its numbers the same way, when it is first split: rich
    fits it to the last number, so a list of 99 or more items is one column narrower than the
    same list drawn at once (shorter lists are held whole until they reach 9 items). A list
    with fewer items than that in its first HOLD_LINES lines is held no longer than those
    lines, and takes the width of a list that ends with fewer items: if it goes on past them
    (9 items from 1), the whole list is one column narrower than rich draws it.

    Attributes:
        kind: "list" or "table".
        first: The block's first piece: the blank line before the block and a table's top
            edge and header go with it.
        last: The block ends with this piece (with a table's bottom edge).
        number: A numbered list's number of the piece's first item.
        digits: A numbered list's number width, in digits (0: a bulleted list's piece).
        head: A table's header and delimiter rows; a later piece's rows are read under them.
            A list's: the lines of its last item printed already (see `holders`).
        holders: A bulleted list's piece that starts inside its last item, at an item
            nested as deep as this has entries: the content columns of the items that hold
            it, outermost first. It is drawn as its own list, the innermost column's spaces
            taken off each line, below padding as deep (see `padded.Padded`). A nested
            item prints once the next item at any depth starts, so that the tail of a deep
            list stays one item, not the whole top-level item.
        numbered: The outermost of `holders` is an item of the numbered list this is a
            piece of: its rows are padded as wide as the list's numbers (`digits` + 2).
        sample: A table's source when it was first split; its column widths come from it.
        widths: Column widths of `sample` by terminal width, filled by whoever draws it.
        layouts: How a table's later pieces are drawn, by console and width (filled, likewise,
            by whoever draws them: see `tablerows.RowLayout`).
    """

    kind: str
    first: bool = False
    last: bool = False
    number: int = 1
    digits: int = 0
    head: str = ""
    holders: tuple[int, ...] = ()
    numbered: bool = False
    sample: str = ""
    widths: dict[int, list[int]] = field(default_factory=dict, compare=False, repr=False)
    layouts: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ordered(self) -> bool:
        """A piece of a numbered list (only theirs have a number width)."""
        return self.kind == "list" and self.digits > 0

    @property
    def depth(self) -> int:
        """How many items hold a nested piece (0: a top-level item's piece)."""
        return len(self.holders)

    @property
    def column(self) -> int:
        """The content column of the item that holds a nested piece's list."""
        return self.holders[-1] if self.holders else 0

    @property
    def pads(self) -> tuple[int, ...]:
        """The columns each item that holds a nested piece pads its rows with, outermost
        first (see `padded.Padded`): 3, as rich pads a bulleted item's later rows; when
        `numbered`, the outermost as wide as the list's numbers and their ". "."""
        outermost = self.digits + 2 if self.numbered else 3
        return (outermost,) + (3,) * (max(self.depth, 1) - 1)

    @property
    def inset(self) -> int:
        """How many columns narrower than the list a nested piece is drawn: its `pads`."""
        return sum(self.pads)


@dataclass(frozen=True)
class Piece:
    """A finished piece of the answer: a whole top-level block, or a `part` of a list or a
    table that is printed before the block ends."""

    text: str
    part: Part | None = None


def split_block(
    tokens: list[Any], text: str, offsets: list[int], freeze_cells: int, *, whole: bool
) -> tuple[Part | None, Part | None, int]:
    """How a top-level list or table (`tokens[0]` and its inner tokens) prints in pieces.

    Args:
        tokens: The block's tokens, as markdown-it parsed `text`.
        text: The source the tokens map into; `offsets`: where each of its lines starts.
        freeze_cells: A table's cells before it prints in pieces (FREEZE_CELLS).
        whole: The block is finished: a Part only where its look differs from the block drawn
            at once (a table as long as its sample, a long numbered list), so that it looks as
            it would have had it arrived in pieces.

    Returns:
        The Part of its first piece (None: not split), the Part of the rest (the open block's
        tail; None when `whole`; a first Part when nothing is split yet but the open block
        goes on in pieces) and the offset in `text` where the first piece ends.
    """
    block = tokens[0]
    first_line, end_line = block.map
    if block.type == "table_open":
        columns = 0
        for token in tokens:
            if token.type == "thead_close":
                break
            columns += token.type == "th_open"
        # the widths come from the first rows past the limit, however many have arrived, so
        # the table looks the same whatever pieces the network cut it into
        rows = freeze_cells // max(1, columns) + 1
        if end_line - first_line - 2 < rows:
            return None, None, 0
        head = text[offsets[first_line] : offsets[first_line + 2]]
        sample = text[offsets[first_line] : offsets[first_line + 2 + rows]]
        part = Part("table", first=True, last=whole, head=head, sample=sample)
        rest = None if whole else replace(part, first=False)
        return part, rest, offsets[end_line]
    if block.type not in ("bullet_list_open", "ordered_list_open"):
        return None, None, 0
    items = [t for t in tokens if t.type == "list_item_open" and t.level == 1]
    ordered = block.type == "ordered_list_open"
    number = int(block.attrs.get("start", 1)) if ordered else 1
    # a numbered list waits for the number that fixes its width for good (see Part); the width
    # is that number's, whatever pieces the network cut the list into. One with fewer items in
    # its first HOLD_LINES lines prints as it goes once it is longer, as wide as a list of
    # fewer items than that (decided from those lines alone, so also whatever the pieces).
    least = max(2, 10 - number) if ordered else 2
    begun = sum(1 for t in items if t.map[0] - first_line <= HOLD_LINES)
    early = ordered and end_line - first_line > HOLD_LINES and begun < least
    digits = len(str(number + (least - 1 if early else least))) if ordered else 0
    if len(items) < least and not early:
        if not whole and not ordered:  # one item so far: its nested items print as they end
            return None, Part("list", first=True), 0
        return None, None, 0
    if early and len(items) == 1 and not whole:  # its nested items print as they end
        return None, Part("list", first=True, number=number, digits=digits), 0
    if whole:
        if digits == len(str(number + len(items))):
            return None, None, 0  # rich's own width is the same
        return Part("list", first=True, last=True, number=number, digits=digits), None, 0
    rest = Part("list", number=number + len(items) - 1, digits=digits)
    first = Part("list", first=True, number=number, digits=digits)
    return first, rest, offsets[items[-1].map[0]]


# --- reading a list's pieces: where one may begin, whether it reads alone -------------


def piece_starts(tokens: list[Any], inside: bool = False) -> list[int]:
    """Where in parsed Markdown a piece of a list may begin: at an item, or at a block of an
    item after its first (rich draws an item's blocks one under another, nothing between
    them, so each draws alone as it does in the item). `inside`: the text is the rest of an
    item's blocks read on its own, so its top-level blocks after the first count too."""
    starts: list[int] = []
    children: list[int] = []  # blocks seen so far in each open block, innermost last
    opened: list[str] = []  # the open blocks' types
    top = 0
    for index, token in enumerate(tokens):
        if token.nesting == -1:
            children.pop()
            opened.pop()
            continue
        if token.type == "inline":
            continue
        if token.type == "list_item_open":
            starts.append(index)
        elif token.type not in _LIST_OPENS:
            after_first = (opened[-1] == "list_item_open" and children[-1]) if opened else top
            if after_first and (opened or inside):
                starts.append(index)
        if opened:
            children[-1] += 1
        else:
            top += 1
        if token.nesting == 1:
            children.append(0)
            opened.append(token.type)
    return starts


_LIST_OPENS = frozenset({"bullet_list_open", "ordered_list_open"})
_THEMATIC_BREAK = re.compile(r"(?:([-*_])[ \t]*)(?:\1[ \t]*){2,}")
_ITEM = re.compile(r" *[-*+]( {1,4})(?=\S)| *[-*+] *$")


def bullet_column(line: str) -> int | None:
    """The column of the marker of a bullet item with text that `line` starts (not a
    thematic break such as `- - -`); None when it starts none."""
    match = _ITEM.match(line)
    if match is None or match.group(1) is None or _THEMATIC_BREAK.fullmatch(line.strip()):
        return None
    return len(line) - len(line.lstrip(" "))


def reads_alone(tokens: list[Any], text: str, lazy: list[int] | None = None) -> bool:
    """Whether `text` (parsed: `tokens`), the rest of an item's blocks with the item's
    indent taken off, reads on its own as it does in the item: it starts with a bulleted
    list when it starts with an item (alone, a later item of a nested list can read as
    something else: `- a | b` over a delimiter row is a table), holds no numbered list
    (whose width depends on items elsewhere) and no quote with a lazy line (one without its
    `>`: it keeps all its spaces, the item's too, and a code span across it would differ);
    each of its `lazy` lines (see `dedent`) goes on a paragraph, as it can only do in the
    item."""
    blocks = [t for t in tokens if t.level == 0 and t.nesting >= 0 and t.map]
    if not blocks or any(t.type == "ordered_list_open" for t in tokens):
        return False
    if lazy and not _in_paragraphs(tokens, lazy):
        return False
    if _BULLET.match(text) is not None and blocks[0].type != "bullet_list_open":
        return False
    quotes = [token_lines(t) for t in tokens if t.type == "blockquote_open"]
    lines = text.split("\n") if quotes else []
    return not any(_lazy_quote(lines, first, end) for first, end in quotes)


def _lazy_quote(lines: list[str], first: int, end: int) -> bool:
    """Whether the quote on `lines[first:end]` may have a lazy line: one after its first
    without a `>` as far in as the first's (the quote's own column is no further out)."""
    column = lines[first].find(">")
    for line in lines[first + 1 : end]:
        rest = line.lstrip(" ")
        if rest and (not rest.startswith(">") or len(line) - len(rest) > column):
            return True
    return False


def _in_paragraphs(tokens: list[Any], lines: list[int]) -> bool:
    """Whether each of `lines` (in order) is a later line of a paragraph in `tokens`, not
    in a quote (there a lazy line keeps its spaces: a code span across it would differ)."""
    spans, quotes = [], 0
    for token in tokens:
        if token.type.startswith("blockquote_"):
            quotes += token.nesting
        elif token.type == "paragraph_open" and not quotes:
            spans.append(token_lines(token))
    at = 0
    for line in lines:
        while at < len(spans) and spans[at][1] <= line:
            at += 1
        if at == len(spans) or spans[at][0] >= line:
            return False
    return True


def content_column(line: str) -> int | None:
    """Where a bullet item's content starts on its first line (CommonMark: after the marker
    and one to four spaces; one when more follow, or when the item starts empty)."""
    match = _ITEM.match(line.rstrip("\n"))
    if match is None or "\t" in line[: match.end()]:
        return None
    if match.group(1) is None:  # an empty item
        return len(line) - len(line.lstrip(" ")) + 2
    return match.end()


_NUMBERED_ITEM = re.compile(r" {0,3}\d{1,9}[.)]( {1,4})(?=\S)")


def number_column(line: str) -> int | None:
    """Where a numbered item's content starts on its first line (after the number, its
    delimiter and one to four spaces); None when it is not that (empty, or a tab in it)."""
    match = _NUMBERED_ITEM.match(line)
    if match is None:
        return None
    return match.end()


_MARKER = re.compile(r"( {0,3})([-*+]|\d{1,9}[.)])(?=[ \t]|$)")
_BULLET = re.compile(r" {0,3}[-*+](?=[ \t\n]|$)")


def list_context(text: str) -> str:
    """An item to read a later piece of a top-level list after, so that it is read as the
    list's next item (alone, `- a | b` over a delimiter row is a table): one like the
    piece's first, with the same marker; "" when the piece does not start with an item."""
    match = _MARKER.match(text)
    if match is None:
        return ""
    marker = match.group(2)
    if marker[-1] in ".)" and marker[:-1].isdigit():
        marker = f"{max(0, int(marker[:-1]) - 1)}{marker[-1]}"
    return f"{match.group(1)}{marker} x\n"


def starts_item(line: str) -> bool:
    """Whether `line` starts a list item (a bullet or a number, then a space or its end)."""
    return _MARKER.match(line) is not None
