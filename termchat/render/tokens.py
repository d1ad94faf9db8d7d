"""The parser's block tokens read back: the lines they span, and the blocks that flow."""

from __future__ import annotations

from typing import Any

_IN_QUOTE = frozenset({"paragraph_open", "inline", "paragraph_close"})


def line_offsets(text: str) -> list[int]:
    """Offsets of the start of each line of `text`, plus len(text) at the end."""
    offsets = [0]
    find = text.find
    pos = find("\n")
    while pos >= 0:
        offsets.append(pos + 1)
        pos = find("\n", pos + 1)
    if offsets[-1] != len(text):
        offsets.append(len(text))
    return offsets


def token_lines(token: Any) -> tuple[int, int]:
    """The lines a block token spans (block tokens always have a map)."""
    assert token.map is not None
    return int(token.map[0]), int(token.map[1])


def first_line(token: Any) -> int:
    """The first line of a block token."""
    return token_lines(token)[0]


def flowing(tokens: list[Any]) -> str | None:
    """ "paragraph" or "quote" when `tokens` are one paragraph, or one quote holding only
    paragraphs; else None."""
    if not tokens:
        return None
    first, last = tokens[0], tokens[-1]
    if first.type == "paragraph_open" and len(tokens) == 3:
        return "paragraph"
    if (
        first.type == "blockquote_open"
        and last.type == "blockquote_close"
        and len(tokens) > 2
        and all(t.type in _IN_QUOTE and t.level <= 2 for t in tokens[1:-1])
    ):
        return "quote"
    return None
