"""Lists and tables printed in pieces before they end: where they split, how pieces are drawn."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

HOLD_LINES = 40
"""A numbered list is held whole until its width is known (see `Part`), but no longer than
this many lines: redrawing a long held list every frame would cost more than the list."""

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
        digits: A numbered list's number width, in digits (0: rich's own).
        head: A table's header and delimiter rows; a later piece's rows are read under them.
            A list's: the lines of its last item printed already (see `holders`).
        holders: A bulleted list's piece that starts inside its last item, at an item
            nested as deep as this has entries: the content columns of the items that hold
            it, outermost first. It is drawn as its own list, the innermost column's spaces
            taken off each line, below padding as deep (see `markdown.Padded`). A nested
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
    def depth(self) -> int:
        """How many items hold a nested piece (0: a top-level item's piece)."""
        return len(self.holders)

    @property
    def column(self) -> int:
        """The content column of the item that holds a nested piece's list."""
        return self.holders[-1] if self.holders else 0


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
