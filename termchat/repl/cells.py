"""Text fitted to a number of terminal cells (made one safe line first: sanitize.one_line)."""

from __future__ import annotations

from prompt_toolkit.utils import get_cwidth


def cells(text: str) -> int:
    """How many terminal cells `text` takes (wide characters take two)."""
    return get_cwidth(text)


def clip(text: str, width: int) -> str:
    """`text` cut to at most `width` cells, ending in `…` when something was cut."""
    if get_cwidth(text) <= width:
        return text
    kept: list[str] = []
    used = 0
    for char in text:
        size = get_cwidth(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept) + "…" if width > 0 else ""


def pad(text: str, width: int) -> str:
    """`text` cut to `width` cells, then filled with spaces to exactly `width` cells."""
    cut = clip(text, width)
    return cut + " " * max(width - get_cwidth(cut), 0)
