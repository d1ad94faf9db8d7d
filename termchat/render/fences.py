"""Fenced code blocks still open at the end of a streaming answer: their lines, their closing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from termchat.render.indent import strip_indent, tabs_as_spaces


@dataclass
class OpenFence:
    """A fenced code block at the start of the tail whose closing fence has not come.

    Attributes:
        info: The info string (its first word names the language).
        lines: The complete code lines so far, without newlines (read-only for callers).
        column: Inside a list item: the item's content column (taken off each line).
        lost: `scan` met a line it cannot read alone: the parser must read the tail again.
    """

    info: str
    lines: list[str] = field(default_factory=list)
    _char: str = "`"
    _length: int = 3
    _indent: int = 0
    column: int = 0
    _scanned: int = 0  # offset in the tail of the first line not yet looked at
    _closing: re.Pattern[str] | None = None
    lost: bool = False

    @classmethod
    def of(
        cls, token: Any, text: str, offsets: list[int], scanned: int, column: int = 0
    ) -> OpenFence:
        """The block a fence token without its closing line opens.

        Args:
            token: The fence token, parsed from `text` (`offsets`: its lines' offsets).
            scanned: How much of the tail the token's lines take (the scan goes on there).
            column: Inside a list item: the item's content column.
        """
        opener = text[offsets[token.map[0]] : offsets[token.map[0] + 1]]
        content: str = token.content
        return cls(
            info=token.info,
            lines=content.split("\n")[:-1] if content else [],
            _char=token.markup[0],
            _length=len(token.markup),
            _indent=len(opener) - len(opener.lstrip(" ")),
            column=column,
            _scanned=scanned,
        )

    def content(self, line: str) -> str:
        """A line of the block as its code: the item's and the opening fence's indent off."""
        for indent in (self.column, self._indent):
            kept = strip_indent(line, indent) if indent else line
            line = line if kept is None else kept
        return line

    def closing(self, line: str) -> bool:
        """True when `line`, as it stands in the text (in an item: with the item's indent),
        is this fence's closing fence."""
        if self.column:
            kept = strip_indent(line, self.column)
            if kept is None:
                return False
            line = tabs_as_spaces(kept, self.column)
        return self.closes(line)

    def closes(self, line: str) -> bool:
        """True when `line` (without its newline) is this fence's closing fence."""
        if self._closing is None:
            marker = re.escape(self._char)
            self._closing = re.compile(f" {{0,3}}{marker}{{{self._length},}}[ \t]*")
        return self._closing.fullmatch(line) is not None

    def scan(self, tail: str) -> int | None:
        """Read the complete lines of `tail` (the block and what follows) not read yet: the
        offset after the closing line once it came, else None. A line that may end the item
        or has a tab in the indent sets `lost`, as only the parser can tell what it does."""
        pos = self._scanned
        while True:
            end = tail.find("\n", pos)
            if end < 0:
                break
            line = tail[pos:end]
            if self.column:
                kept = strip_indent(line, self.column)
                if kept is None or (len(line) - len(kept) < self.column and kept.strip()):
                    self.lost = True  # the item ended, or a tab
                    return None
                if self.closing(line):
                    return end + 1
                line = kept
            elif self.closes(line):
                return end + 1
            if self._indent:
                stripped = strip_indent(line, self._indent)
                if stripped is None:  # a tab inside the indent
                    self.lost = True
                    return None
                line = stripped
            self.lines.append(line)
            pos = end + 1
        self._scanned = pos
        return None


def is_closed(token: Any, text: str, offsets: list[int]) -> bool:
    """Whether a fence token has its closing line (any other block counts as closed)."""
    if token.type != "fence":
        return True
    first, end = token.map
    if end - first < 2:
        return False
    line = text[offsets[end - 1] : offsets[end]].rstrip("\n")
    fence = OpenFence(info="", _char=token.markup[0], _length=len(token.markup))
    return fence.closes(line)
