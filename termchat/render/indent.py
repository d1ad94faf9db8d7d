"""Indentation as the Markdown parser reads it: an item's column taken off, tabs to stops of 4."""

from __future__ import annotations

import re

from termchat.render.pieces import starts_item

# a tab in a line's opening run of spaces and block markers (bullets, numbers, quote marks)
_TAB_IN_OPENING = re.compile(r"[ >*+\-.)0-9]*\t")


def dedent(text: str, column: int, lazy: list[int] | None = None) -> str | None:
    """`text` with `column` leading spaces taken off every line (a blank line may have
    fewer); None when a line that is not blank has fewer, or a tab among them, or a tab in
    the indent left or after a marker in it (`- \tb`: five columns after the bullet, code)
    when `column` is not a tab stop (a tab reaches the next stop counted from the line's
    start: taken off, it would stand for other spaces). With `lazy`, a line with
    fewer spaces that starts no list item is kept without them and its index added to
    `lazy`: in the item it can only go on a paragraph begun above it (see `reads_alone`),
    whose lines lose all their spaces up to the item's column."""
    out = []
    for index, line in enumerate(text.split("\n")):
        kept = strip_indent(line, column)
        if kept is None:
            return None
        if len(line) - len(kept) < column and kept.strip(" \t\r"):
            if lazy is None or starts_item(kept):
                return None
            lazy.append(index)
        if column % 4 and _TAB_IN_OPENING.match(kept):
            return None
        out.append(kept)
    return "\n".join(out)


def tabs_as_spaces(text: str, column: int) -> str:
    """`text`, which starts at `column` of its line, with the tabs in its indent as the
    spaces they stand for (a tab reaches the next stop of 4 counted from the line's start)."""
    at = column
    for index, char in enumerate(text):
        if char == "\t":
            at += 4 - at % 4
        elif char == " ":
            at += 1
        else:
            return " " * (at - column) + text[index:]
    return " " * (at - column)


def strip_indent(line: str, indent: int) -> str | None:
    """Remove up to `indent` leading spaces, as the parser does; None if a tab is in the way."""
    head = line[:indent]
    if "\t" in head:
        return None
    spaces = len(head) - len(head.lstrip(" "))
    return line[spaces:]
