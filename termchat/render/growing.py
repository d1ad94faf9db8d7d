"""The live rows of a long paragraph or quote still arriving: the rows before a settled point
are kept from frame to frame, only the rest is drawn again."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, RenderableType

from termchat.render.markdown import BlockPrinter, SafeMarkdown, shared_parser
from termchat.render.plaindraw import plain_rows
from termchat.render.thinking import Row

KEEP = 2  # rows left below a settled point: the last word may still move down a row
SETTLE = 6  # rows drawn again before a settled point is looked for
TRIES = 3  # rows looked at, from the KEEP-th last upwards, for a settled point
QUOTE = "> "

# An emphasis or strikethrough run that may open (something follows it); an underscore
# inside a word cannot (CommonMark), so `snake_case` does not count
_OPENER = re.compile(r"(?<![A-Za-z0-9_])_+(?![\s_])|(?<!\*)\*+(?![\s*])|(?<!~)~~+(?![\s~])")


@dataclass
class _Settled:
    key: tuple[object, ...]  # what the rows were drawn for: width, quoted, separator, references
    source: str = ""  # the block's text before the settled point
    rows: list[Row] = field(default_factory=list)  # what that text draws, in the whole block


class GrowingBlock:
    """Draws the unfinished tail when it is a paragraph or a quote of paragraphs.

    Wrapping is greedy: where a row of the whole block starts, the rows below depend only on
    the text from there on, unless an inline construct begun above or in the row's first word
    (emphasis, a code span, a link's text) is still open and could close below. Such a row
    start is a settled point: the rows above it are kept, and each frame draws the block's
    text from there on, its own paragraph (quoted again for a quote). A point is taken only
    when that draws exactly the rows the whole block has there, nothing above it can still
    open, and its row does not start with `[` (alone, that could become a reference
    definition); so every frame shows what drawing the whole tail shows, and the cost of a
    frame no longer grows with the block. A tab below the point is the exception: rich puts
    its stop counting from the paragraph's first column, so such a block is drawn whole.
    When the block changes into something else (a setext underline, a table's delimiter row),
    the tail no longer starts with the settled text or is no longer this kind, and it is
    drawn whole again by the caller.
    """

    def __init__(self) -> None:
        self._settled: _Settled | None = None
        self._tried = 0  # rows of the rest when a settled point was last looked for in vain
        self.drawn = 0  # characters drawn so far (for tests of the cost)

    def rows(self, console: Console, printer: BlockPrinter, block: str, quoted: bool) -> list[Row]:
        """The rows of `block` (the tail, a paragraph or quote, with the line in progress) as
        `printer.preview` draws it, separator included."""
        key = (console.width, quoted, printer.separator_due, len(printer.references or ()))
        settled = self._settled
        if settled is None or settled.key != key or not block.startswith(settled.source):
            settled = self._settled = _Settled(key)
            self._tried = 0
        if settled.source and "\t" in block[len(settled.source) :]:
            # rich sets a tab's stop counting from the paragraph's first column, which the
            # text from a settled point drawn alone does not start at: such a block is drawn
            # whole while a tab is below the point (as every frame was before points)
            return self._draw(console, printer.preview(block))
        if not settled.source:
            rest, offset = block, 0
            rows = self._whole_rows(console, printer, block, quoted)
        else:
            rest = block[len(settled.source) :]
            rest, offset = (QUOTE + rest, len(QUOTE)) if quoted else (rest, 0)
            rows = self._rest_rows(console, printer, rest, quoted)
        # after a point was looked for in vain (something above is still open), the next
        # look waits until the rest has grown by half: looking costs a parse of the rest
        if len(rows) >= max(SETTLE, self._tried + max(KEEP, self._tried // 2)):
            settled_rows = self._settle(console, printer, rest, offset, rows, quoted)
            if settled_rows is None:
                self._tried = len(rows)
            else:
                rows = settled_rows
                self._tried = 0
        return settled.rows + rows

    def _settle(
        self,
        console: Console,
        printer: BlockPrinter,
        rest: str,
        offset: int,
        rows: list[Row],
        quoted: bool,
    ) -> list[Row] | None:
        """Move the settled point down to a row start near the end of `rows` (what `rest`
        draws; its first `offset` characters are not the block's); the rows from there on,
        or None when no row looked at starts a settled point."""
        settled = self._settled
        assert settled is not None
        plain = ["".join(segment.text for segment in row) for row in rows]
        if quoted:
            plain = [text[len(QUOTE) :] for text in plain]
        total = sum(len(text) for text in plain) or 1
        for row in range(len(rows) - KEEP, len(rows) - KEEP - TRIES, -1):
            words = plain[row].split()[:4]  # enough to tell repeated words apart
            if not words:
                continue
            estimate = len(rest) * sum(len(text) for text in plain[:row]) // total
            at = _row_start(rest, words, estimate, offset)
            # drawn as its own paragraph, text from a `[` could still end up a reference
            # definition (`[a]: /url 'title'`, once the title closes) and vanish
            if at is None or rest.startswith("[", at):
                continue
            # the row's first word counts as above the point: whether the row above ends
            # before it depends on its width, which its markup closing later would shrink
            space = _SPACE.search(rest, at)
            if space is None or may_still_open(rest[: space.end()]):
                continue
            again = self._rest_rows(
                console, printer, QUOTE + rest[at:] if quoted else rest[at:], quoted
            )
            if again == rows[row:]:
                settled.source += rest[offset:at]
                settled.rows += rows[:row]
                return again
        return None

    def _rest_rows(
        self, console: Console, printer: BlockPrinter, rest: str, quoted: bool
    ) -> list[Row]:
        """What the text from a settled point draws: its own paragraph (or quote, whose own
        blank line above is left out: the whole block's is among the settled rows)."""
        plain = self._plain(console, rest, quoted)
        if plain is not None:
            return plain
        rows = self._draw(console, [printer.markdown(rest)])
        return (
            rows[1:] if quoted and rows and not "".join(s.text for s in rows[0]).strip() else rows
        )

    def _whole_rows(
        self, console: Console, printer: BlockPrinter, block: str, quoted: bool
    ) -> list[Row]:
        """What `printer.preview` draws for the whole block, separator included."""
        plain = None if quoted else self._plain(console, block)
        if plain is None:
            return self._draw(console, printer.preview(block))
        return self._draw(console, printer.separator_before_leaf()) + plain

    def _plain(self, console: Console, text: str, quoted: bool = False) -> list[Row] | None:
        rows = plain_rows(console, text, quoted)
        if rows is not None:
            self.drawn += len(text)
        return rows

    def _draw(self, console: Console, renderables: list[RenderableType]) -> list[Row]:
        options = console.options.update(height=None)
        rows: list[Row] = []
        for renderable in renderables:
            if isinstance(renderable, SafeMarkdown):
                self.drawn += len(renderable.markup)
            rows.extend(console.render_lines(renderable, options, pad=False))
        return rows


def _row_start(text: str, words: list[str], estimate: int, least: int) -> int | None:
    """Where in `text` (after `least`) a word starts (after a space, a line break or a
    quote's marker) that is followed by the rest of `words` with only spaces, a line break or
    a quote's marker between them; the one nearest to `estimate`, None when there is none."""
    pattern = _GAP.join(re.escape(word) for word in words)
    best: int | None = None
    for match in re.finditer(pattern, text[least:]):
        at = least + match.start()
        starts_word = at > least and text[at - 1] in " \t\n>"
        if starts_word and (best is None or abs(at - estimate) < abs(best - estimate)):
            best = at
    return best


_GAP = r"(?:[ \t]*\n[ \t>]*|[ \t]+)"
_SPACE = re.compile(r"[ \t\n]")


_MAY_OPEN = re.compile(r"[`*_~\[\]]")  # what every construct below begins or ends with


def may_still_open(text: str) -> bool:
    """Whether something in `text` (Markdown up to a settled point) is left open that text
    after it could still close, changing how `text` draws: an emphasis or strikethrough run
    that may open, a code span's backticks, a link's unclosed bracket or destination."""
    if not _MAY_OPEN.search(text):
        return False
    tokens = shared_parser().parse(text)
    depth = 0
    for token in _texts(tokens):
        content: str = token.content
        if "`" in content or "](" in content or _OPENER.search(content):
            return True
        for char in content:
            if char == "[":
                depth += 1
            elif char == "]" and depth:
                depth -= 1
    return depth > 0


def _texts(tokens: list[Any]) -> list[Any]:
    """The text tokens inside parsed Markdown's inline tokens, at any depth."""
    out = []
    for token in tokens:
        if token.children:
            out.extend(_texts(token.children))
        elif token.type == "text":
            out.append(token)
    return out
