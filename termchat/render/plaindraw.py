"""Plain text drawn as rich's Markdown draws it, without parsing it: a paragraph, a quote of
one, a bulleted list item of one (the common shapes of an answer's unfinished tail and of a
long list's items, drawn every frame)."""

from __future__ import annotations

import re

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from termchat.render.thinking import Row

# what may make inline markup, an entity, an escape or a hard break; and any space but a
# plain one (a tab's stop, and the no-break and other spaces the parser trims at the ends of
# a paragraph, as Python's strip does, but not at the ends of its inner lines)
_NOT_PLAIN = re.compile(r"[\\`*_~\[\]<!&]|[^\S \n]| {2,}\n")
_LETTER = re.compile(r"[^\W\d_]")
_QUOTE_MARKER = re.compile(r" {0,3}> ?")
# a bullet and the spaces after it (five or more would start indented code in the item)
_BULLET = re.compile(r"[-+]( {1,4})(?=[^ \n])")


def _lines(text: str) -> list[str] | None:
    """`text`'s lines without the blank lines around them; None when it may hold markup."""
    if _NOT_PLAIN.search(text):
        return None
    lines = text.split("\n")
    while lines and not lines[-1].strip(" "):
        lines.pop()
    while lines and not lines[0].strip(" "):  # blank lines before a block are not drawn
        del lines[0]
    return lines or None


def _paragraph_lines(lines: list[str]) -> list[str] | None:
    """What rich's paragraph of `lines` holds, a line each (each line's outer spaces off);
    None when a line does not begin with a letter (it may begin another block: a list, a
    heading, a setext underline, code) or the first is indented as code."""
    if lines[0].startswith("    "):
        return None
    lines = [line.strip(" ") for line in lines]
    return lines if all(_LETTER.match(line) for line in lines) else None


def _text(lines: list[str], style: Style) -> Text:
    """The paragraph's text as rich builds it: a softbreak is a space, each piece appended
    in the paragraph's style (so the segments are the same)."""
    paragraph = Text(justify="left")
    for index, line in enumerate(lines):
        if index:
            paragraph.append(" ", style)
        paragraph.append(line, style)
    return paragraph


def plain_rows(console: Console, text: str, quoted: bool = False) -> list[Row] | None:
    """The rows a paragraph of plain text draws, the same segments as rich's Markdown gives
    it, without parsing it; None when `text` may hold markup or begin another block.
    `quoted`: `text` is a quote of one such paragraph (drawn without the blank row above)."""
    lines = _lines(text)
    if lines is None:
        return None
    get_style = console.get_style
    style = get_style("none")
    if quoted:
        if not _QUOTE_MARKER.match(lines[0]):
            return None
        style += get_style("markdown.block_quote", default="none")
        lines = [
            line[len(m.group()) :] if (m := _QUOTE_MARKER.match(line)) else line for line in lines
        ]
    kept = _paragraph_lines(lines)
    if kept is None:
        return None
    paragraph = _text(kept, style + get_style("markdown.paragraph", default="none"))
    options = console.options.update(height=None)
    if not quoted:
        return console.render_lines(paragraph, options, pad=False)
    # as rich's quote draws its paragraph: 4 columns narrower, padded, behind its bar
    options = options.update(width=options.max_width - 4)
    bar = Segment("▌ ", style)
    return [[bar, *row] for row in console.render_lines(paragraph, options, style=style)]


class PlainItem:
    """A bulleted list item holding one plain paragraph (`- words`), drawn as rich's Markdown
    draws it as a later piece of a list (no blank line above), without parsing it.

    Make one with `of`, which says whether the text is such an item."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    @classmethod
    def of(cls, text: str) -> PlainItem | None:
        """The item `text` is, or None when it is anything else (or may be)."""
        bullet = _BULLET.match(text)
        if bullet is None:
            return None
        lines = _lines(text[bullet.end() :])
        kept = None if lines is None else _paragraph_lines(lines)
        return None if kept is None else cls(kept)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        item = console.get_style("none") + console.get_style("markdown.item", default="none")
        paragraph = _text(
            self.lines, item + console.get_style("markdown.paragraph", default="none")
        )
        inner = options.update(width=options.max_width - 3, height=None)
        rows = console.render_lines(paragraph, inner, style=item)
        style = console.get_style("markdown.item.bullet", default="none")
        bullet, padding = Segment(" • ", style), Segment("   ", style)
        new_line = Segment("\n")
        for index, row in enumerate(rows):
            yield padding if index else bullet
            yield from row
            yield new_line
