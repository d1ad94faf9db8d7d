"""Where a list printed in pieces is cut inside its items: one nested item a piece."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from markdown_it import MarkdownIt

from termchat.render.fences import OpenFence, is_closed
from termchat.render.indent import dedent
from termchat.render.pieces import (
    MAX_NESTING,
    Part,
    bullet_column,
    content_column,
    number_column,
    piece_starts,
    reads_alone,
)
from termchat.render.tokens import first_line, line_offsets


@dataclass(frozen=True)
class Cut:
    """What the tail of a list printed in pieces gives, read in its items.

    Attributes:
        offset: The tail's first `offset` characters are finished: a piece drawn as the
            list's open part (0: nothing is).
        part: How the rest of the list is drawn after the cut.
        fence: The rest of the item is a code block still open, its lines scanned as they
            come (see `BlockSplitter.open_fence`).
    """

    offset: int = 0
    part: Part | None = None
    fence: OpenFence | None = None


class NestedSplitter:
    """Reads the tail of a list printed in pieces when it is inside an item (`Part.holders`).

    Args:
        md: The splitter's parser (block structure only).
        merge_references: Takes the reference definitions the tail holds.
    """

    def __init__(self, md: MarkdownIt, merge_references: Callable[[dict[str, Any]], None]) -> None:
        self._md = md
        self._merge_references = merge_references

    def split(self, part: Part, complete: str) -> Cut | None:
        """Read the tail's complete lines on their own, the holder's content column off each
        line. While every line is indented that far, they are the rest of the holder's
        blocks and read as in the whole list; None when they are not (a line further out,
        or a numbered list in it)."""
        lazy: list[int] = []
        text = dedent(complete, part.column, lazy)
        if text is None:
            return self._outdent(part, complete)
        plain = plain_items(part, complete, text)
        return self.parsed(part, complete, text, lazy) if plain is None else plain

    def parsed(self, part: Part, complete: str, text: str, lazy: list[int]) -> Cut | None:
        """`split` read with the parser (`text`: `complete` dedented, `lazy` its lazy lines)."""
        env: dict[str, Any] = {}
        tokens = self._md.parse(text, env)
        offsets = line_offsets(text)
        if not reads_alone(tokens, text, lazy):
            return None
        self._merge_references(env)
        if (
            tokens[0].type == "fence"
            and len(tokens) == 1
            and not is_closed(tokens[0], text, offsets)
        ):
            # the rest of the item is a code block still open: its lines are scanned as they
            # come, as a top-level one's are
            return Cut(fence=OpenFence.of(tokens[0], text, offsets, len(complete), part.column))
        return cut_nested(part, complete, tokens, offsets, text, 0, part.holders)

    def _outdent(self, part: Part, complete: str) -> Cut | None:
        """A complete line less indented than the tail's item: when it starts an item of an
        outer nested list (a bullet with text, as far in as that list's holder's content,
        at most 3 more), the lines before it are that item's last piece; None otherwise (the
        whole item is read again)."""
        offset = 0
        for line in complete.splitlines(keepends=True):
            if dedent(line, part.column) is None:
                break
            offset += len(line)
        else:
            return None
        column = bullet_column(line)
        if not offset or column is None:
            return None
        outer = tuple(c for c in part.holders if c <= column)
        if not outer or column - outer[-1] > 3:
            return None
        before = self.split(part, complete[:offset])
        if before is None or before.offset:
            return before
        head = part.head + complete[:offset]  # a code block found open ends here
        return Cut(offset, replace(part, first=False, head=head, holders=outer))


# An item's line that reads as a paragraph in the item whatever follows: its bullet, one to
# four spaces and a letter (a block that is not a paragraph, a reference definition, a
# numbered list or a thematic break each begins otherwise)
_PLAIN_ITEM = re.compile(r"( *)([-+*])( {1,4})[A-Za-z][^\n\r]*\n")
_PLAIN_ITEMS = re.compile(r"(?: *[-+*] {1,4}[A-Za-z][^\n\r]*\n)*")


def plain_items(part: Part, complete: str, text: str) -> Cut | None:
    """`NestedSplitter.split` of the commonest tails of a nested list, read without the
    parser: lines that each are an item's line of plain words (`_PLAIN_ITEM`), the second a
    sibling of the first or its child. The cut falls between the first two (none with one
    line): no such line can change how the lines above it read, so the first two decide it.
    None for any other tail. `text`: `complete` with the holder's content column taken off
    (for a top-level item's tail, `complete` itself: there a sibling is the next top-level
    item, a cut whose part is still at depth 0, which the caller makes the next item)."""
    first = _PLAIN_ITEM.match(text)
    if first is None or len(first[1]) > 3:  # four spaces in: code
        return None
    if first.end() == len(text):
        return Cut()
    second = _PLAIN_ITEM.match(text, first.end())
    if second is None or not _PLAIN_ITEMS.fullmatch(text, second.end()):
        return None
    indent, column, at = len(first[1]), first.end(3), len(second[1])
    if at == indent and second[2] == first[2]:
        holders = part.holders  # the next item of the same list
    elif column <= at <= column + 3:
        base = part.holders[-1] if part.holders else 0
        holders = (*part.holders, base + column)  # the first of a list in it
    else:
        return None
    cut = complete.index("\n") + 1
    return Cut(cut, replace(part, first=False, head=part.head + complete[:cut], holders=holders))


# A line that may open blocks nested MAX_NESTING deep: each character of its opening run of
# spaces, tabs and markers opens at most four levels (a tab: four columns, two nested lists)
_DEEP = re.compile(rf"^[ \t>*+\-.)0-9]{{{MAX_NESTING // 4 - 2}}}", re.MULTILINE)


def next_top_item(part: Part, complete: str) -> int | None:
    """Where the next item of the top-level list begins in the tail of a bulleted list read
    inside a nested item, read without the parser, when the tail (`complete`) is two lines
    of plain words (`_PLAIN_ITEM`): the nested item's, and the new item's, with the bullet
    and the indent of the top-level item (the first line of `part.head`), which nothing
    above can take in (unless a line above nests as deep as the parser goes: it then takes
    in every line below). None for any other tail."""
    top = _PLAIN_ITEM.match(part.head)
    item = _PLAIN_ITEM.match(complete)
    if top is None or item is None or part.digits or not part.depth:
        return None
    if _DEEP.search(part.head):
        return None
    new = _PLAIN_ITEM.fullmatch(complete, item.end())
    if new is None or len(item[1]) < part.column or len(top[1]) >= part.holders[0]:
        return None
    return item.end() if new[1] == top[1] and new[2] == top[2] else None


_HOLDERS = ("bullet_list_open", "list_item_open")
_LIST_TOKENS = frozenset(
    f"{kind}_{end}"
    for kind in ("bullet_list", "ordered_list", "list_item")
    for end in ("open", "close")
)


def cut_nested(
    part: Part,
    complete: str,
    tokens: list[Any],
    offsets: list[int],
    source: str,
    head_lines: int,
    outer: tuple[int, ...],
) -> Cut:
    """Cut the tail (`complete`: its complete lines) before the first item (at any depth)
    that starts after its first line, when the lists in it are bulleted, but for a numbered
    top-level list whose width is fixed already (`Part.digits`): nothing after can change
    how it looks (a numbered list's width can), and each piece is one item, drawn on its own
    at its depth. `tokens` parse `source` (`offsets`: its lines'); its first `head_lines`
    lines were printed already; `outer`: the content columns of the items that hold it."""
    numbered = bool(part.digits) and not outer and tokens[0].type == "ordered_list_open"
    if any(t.type == "ordered_list_open" for t in tokens[1 if numbered else 0 :]):
        return Cut()
    at = next(
        (i for i in piece_starts(tokens, bool(outer)) if first_line(tokens[i]) > head_lines),
        None,
    )
    if at is None or (numbered and tokens[at].level == 1):
        return Cut()  # nothing, or the next numbered item: the next piece has its number
    ancestors: list[int] = []  # indices of the open tokens around it
    for index, token in enumerate(tokens[:at]):
        if token.nesting == 1:
            ancestors.append(index)
        elif token.nesting == -1:
            ancestors.pop()
    if any(tokens[i].type not in _HOLDERS for i in ancestors if i or not numbered):
        return Cut()  # inside a quote: drawn with more than padding
    base = outer[-1] if outer else 0
    columns = list(outer)
    for index in ancestors:
        if tokens[index].type != "list_item_open":
            continue
        if _may_draw_no_row(tokens[index + 1 : at]):
            return Cut()  # no row of the item drawn yet: its bullet goes on the next row
        first = first_line(tokens[index])
        line = source[offsets[first] : offsets[first + 1]]
        top = numbered and tokens[index].level == 1  # the numbered list's own item
        found = number_column(line) if top else content_column(line)
        if found is None:
            return Cut()
        columns.append(base + found)
    cut = line_offsets(complete)[first_line(tokens[at]) - head_lines]
    return Cut(
        cut,
        replace(
            part,
            first=False,
            head=part.head + complete[:cut],
            holders=tuple(columns),
            numbered=numbered or part.numbered,
        ),
    )


def _may_draw_no_row(tokens: list[Any]) -> bool:
    """Whether an item's blocks (`tokens`) may draw no row: nothing but lists' tokens and
    quotes (a quote draws none when it is empty, or too narrow for its bar and text)."""
    quotes = 0
    for token in tokens:
        if token.type.startswith("blockquote_"):
            quotes += token.nesting
        elif not quotes and token.type not in _LIST_TOKENS:
            return False
    return True
