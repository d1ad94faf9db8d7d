"""Splits a streaming Markdown answer into finished top-level blocks and an unfinished tail."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from markdown_it import MarkdownIt

from termchat.render.pieces import (
    FREEZE_CELLS,
    Part,
    Piece,
    bullet_column,
    content_column,
    list_context,
    number_column,
    piece_starts,
    reads_alone,
    split_block,
    starts_item,
)


def make_parser() -> MarkdownIt:
    """The Markdown dialect termchat renders: CommonMark, tables, strikethrough, no raw HTML.

    With `html` off, HTML in an answer is plain text, never interpreted.
    """
    return MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])


@dataclass
class OpenFence:
    """A top-level fenced code block at the start of the tail whose closing fence has not come.

    Attributes:
        info: The info string (its first word names the language).
        lines: The complete code lines so far, without newlines (read-only for callers).
    """

    info: str
    lines: list[str] = field(default_factory=list)
    _char: str = "`"
    _length: int = 3
    _indent: int = 0
    column: int = 0  # inside a list item: the item's content column (taken off each line)
    _scanned: int = 0  # offset in the tail of the first line not yet looked at
    _closing: re.Pattern[str] | None = None

    def content(self, line: str) -> str:
        """A line of the block as its code: the item's and the opening fence's indent off."""
        for indent in (self.column, self._indent):
            kept = _strip_indent(line, indent) if indent else line
            line = line if kept is None else kept
        return line

    def closing(self, line: str) -> bool:
        """True when `line`, as it stands in the text (in an item: with the item's indent),
        is this fence's closing fence."""
        if self.column:
            kept = _strip_indent(line, self.column)
            if kept is None:
                return False
            line = _tabs_as_spaces(kept, self.column)
        return self.closes(line)

    def closes(self, line: str) -> bool:
        """True when `line` (without its newline) is this fence's closing fence."""
        if self._closing is None:
            marker = re.escape(self._char)
            self._closing = re.compile(f" {{0,3}}{marker}{{{self._length},}}[ \t]*")
        return self._closing.fullmatch(line) is not None


def _final_at_once(token: Any) -> bool:
    """Top-level blocks that nothing arriving later can change once their last line is complete.

    A thematic break, an ATX heading (`# Title`) and a closed fenced code block.
    """
    return token.type in ("hr", "fence") or (
        token.type == "heading_open" and token.markup.startswith("#")
    )


# Blocks that a blank line closes for good: no lazy continuation, setext underline or table
# row can reach them across it. Not lists (a loose list goes on after blank lines) nor
# indented code (it may continue after blank lines too).
_CLOSED_BY_BLANK = {"paragraph_open", "heading_open", "table_open", "blockquote_open"}


class BlockSplitter:
    """Incremental top-level block splitter for Markdown that arrives in pieces.

    `feed` returns the top-level blocks that became *finished*: nothing that can still arrive
    can change how they render, so each can be printed once. The rest is `tail`. Rendering the
    finished blocks one by one (with the separator rich's Markdown puts between top-level
    blocks) and then the tail gives the same output as rendering the whole text once.

    Only the tail is ever re-parsed, and only when a line is completed, so the total cost stays
    close to parsing the answer once. A growing top-level fenced code block is scanned line by
    line without re-parsing (see `open_fence`); a growing list gives its finished items and a
    long table its complete rows as pieces (see `Part`), so the tail stays one item or row.

    Known limit: a link that uses a reference definition arriving after its block was finished
    stays unresolved in the stream (references defined earlier do resolve; see `references`).
    """

    def __init__(self, freeze_cells: int = FREEZE_CELLS) -> None:
        self._md = make_parser().disable("inline")  # block structure only
        self._freeze_cells = freeze_cells
        self._tail = ""
        self._fence: OpenFence | None = None
        self._open: Part | None = None  # the list or table the tail continues
        self._table = False  # the tail's last block is a table
        self._refused = ("", "")  # the last tail and line start that finished nothing
        # the tail is one paragraph, or a quote of paragraphs, still open: which, and where
        # its lines read so far end (see `_goes_on`)
        self._growing: tuple[str, int] | None = None
        self.references: dict[str, Any] = {}

    @property
    def tail(self) -> str:
        """The unfinished rest of the text: the last block so far and any incomplete line."""
        return self._tail

    @property
    def tail_is_table(self) -> bool:
        """Whether the tail's complete lines are a table (held whole or printed in pieces)."""
        return self._table or (self._open is not None and self._open.kind == "table")

    @property
    def growing(self) -> str | None:
        """ "paragraph" or "quote" (of paragraphs only) when the tail's complete lines are
        that one top-level block, still open; else None."""
        return self._growing[0] if self._growing is not None else None

    @property
    def tail_part(self) -> Part | None:
        """When the tail continues a list or table printed in pieces: how to draw it."""
        return self._open

    @property
    def open_fence(self) -> OpenFence | None:
        """The tail's growing fenced code block, when the tail is one (else None)."""
        return self._fence

    def feed(self, text: str) -> list[Piece]:
        """Add the next piece of the answer.

        Args:
            text: Any piece: a token, several lines, or part of a line.

        Returns:
            The newly finished pieces, in order, each with its trailing newline.
        """
        if not text:
            return []
        self._tail += text
        if "\n" not in text:
            return []
        finished: list[Piece] = []
        if self._fence is not None:
            part = self._open if self._fence.column else None  # a fence in a list item
            closed = self._scan_fence()
            if closed is not None:
                block = self._cut(closed)
                if part is not None:  # the item's lines printed so far (see `Part.head`)
                    self._open = replace(part, head=part.head + block)
                finished.append(Piece(block, part))
            elif self._fence is not None:
                return []
        finished.extend(self._split())
        return finished

    def feed_partial(self, partial: str) -> list[Piece]:
        """The pieces that the line in progress already finishes (none are held back).

        Inside a bulleted list printed in pieces, a line that has begun with a bullet and a
        letter starts an item, whatever the rest of it says: the item before it is finished
        now rather than when the line ends, so the live part is the new item alone. Nothing
        of `partial` is kept; it is fed again with its line.

        Args:
            partial: The line in progress after the text fed so far, which must end with a
                complete line.
        """
        part = self._open
        match = _ITEM_BEGUN.match(partial)
        if (
            match is None
            or part is None
            or part.kind != "list"
            or not self._tail.endswith("\n")
            or self._fence is not None
        ):
            return []
        probe = partial[: match.end()] + "\n"
        if self._refused == (self._tail, probe):  # asked already: the answer is the same
            return []
        saved = (self._tail, self._open, self._table, self._growing)
        self._tail += probe
        finished = self._split_open(len(self._tail))
        open_list = self._open is not None and self._open.kind == "list"
        if finished and self._tail == probe and open_list and self._fence is None:
            self._tail = ""
            return finished
        self._tail, self._open, self._table, self._growing = saved
        self._fence = None
        self._refused = (self._tail, probe)
        return []

    def finish(self) -> list[Piece]:
        """End of the answer: everything left, as one block (or nothing if it is blank); the
        end of a list or table printed in pieces."""
        finished: list[Piece] = []
        if self._open is not None:
            finished = self._split_open(len(self._tail))  # the last line counts as complete
        part, rest = self._open, self._tail
        self._tail, self._fence, self._open, self._table = "", None, None, False
        self._growing = None
        if part is not None:
            return [*finished, Piece(rest, replace(part, last=True))]
        if not rest.strip():
            return finished
        self._collect_references(rest)
        return [*finished, Piece(rest)]

    # --- internals -----------------------------------------------------------------------

    def _cut(self, offset: int) -> str:
        block, self._tail = self._tail[:offset], self._tail[offset:]
        self._fence = None
        self._growing = None
        return block

    def _scan_fence(self) -> int | None:
        """Look at the open fence's new complete lines; the offset after its closing line."""
        fence = self._fence
        assert fence is not None
        tail = self._tail
        pos = fence._scanned
        while True:
            end = tail.find("\n", pos)
            if end < 0:
                break
            line = tail[pos:end]
            if fence.column:
                kept = _strip_indent(line, fence.column)
                if kept is None or (len(line) - len(kept) < fence.column and kept.strip()):
                    self._fence = None  # the item ended, or a tab: let the parser decide
                    return None
                if fence.closing(line):
                    return end + 1
                line = kept
            elif fence.closes(line):
                return end + 1
            if fence._indent:
                stripped = _strip_indent(line, fence._indent)
                if stripped is None:  # a tab inside the indent: let the parser decide
                    self._fence = None
                    return None
                line = stripped
            fence.lines.append(line)
            pos = end + 1
        fence._scanned = pos
        return None

    def _split(self) -> list[Piece]:
        tail = self._tail
        complete_end = tail.rfind("\n") + 1
        if not complete_end:
            return []
        if self._open is not None:
            return self._split_open(complete_end)
        if self._growing is not None and self._goes_on(complete_end):
            return []
        self._growing = None
        complete = tail[:complete_end]
        env: dict[str, Any] = {}
        tokens = self._md.parse(complete, env)
        self._merge_references(env)
        indices = [i for i, t in enumerate(tokens) if t.level == 0 and t.nesting >= 0 and t.map]
        if not indices:
            self._table = False
            return []
        blocks = [tokens[i] for i in indices]
        offsets = _line_offsets(complete)
        last = blocks[-1]
        assert last.map is not None
        cuts = [b.map[0] for b in blocks[1:] if b.map]
        closed = _is_closed(last, complete, offsets)
        end = last.map[1]
        if (closed and _final_at_once(last)) or (
            last.type in _CLOSED_BY_BLANK
            and end + 1 < len(offsets)
            and not complete[offsets[end] : offsets[end + 1]].strip()
        ):
            cuts.append(end)
        finished: list[Piece] = []
        start = 0
        for number, line in enumerate(cuts):
            offset = offsets[line]
            if offset > start:
                block = tokens[indices[number] : [*indices, len(tokens)][number + 1]]
                part, _, _ = split_block(block, complete, offsets, self._freeze_cells, whole=True)
                finished.append(Piece(tail[start:offset], part))
            start = offset
        self._fence = None
        self._table = last.type == "table_open" and offsets[last.map[0]] >= start
        if last.type == "fence" and not closed:
            self._fence = _open_fence(last, complete_end - start, complete, offsets)
        elif offsets[last.map[0]] >= start:  # the last block is still open
            block = tokens[indices[-1] :]
            part, rest, end = split_block(block, complete, offsets, self._freeze_cells, whole=False)
            if part is not None:
                finished.append(Piece(tail[start:end], part))
                start, self._open = end, rest
            elif rest is not None:
                self._open = rest
            elif (
                self._fence is None
                and last.map[1] == len(offsets) - 1
                and (kind := _flowing(tokens[indices[-1] :])) is not None
            ):
                self._growing = (kind, complete_end - start)
        self._tail = tail[start:]
        return finished

    def _goes_on(self, complete_end: int) -> bool:
        """Whether the tail, one paragraph or quote of paragraphs so far (`_growing`), is
        that still with the lines completed since. Only the last line read before and the new
        ones are parsed: whatever could end or recast the block (a blank line, a line that
        interrupts a paragraph, a setext underline, a table's delimiter row under its header,
        a lazy line a quote does not take) shows in them, and read from that line they are
        then one block of the same kind. Otherwise the caller reads the whole tail again."""
        assert self._growing is not None
        kind, read = self._growing
        tail = self._tail
        if complete_end <= read:
            return True
        if _BLANK_LINE.search(tail, read - 1, complete_end):
            return False  # it ended: no need to look
        begin = tail.rfind("\n", 0, read - 1) + 1
        window = tail[begin:complete_end]
        env: dict[str, Any] = {}
        tokens = self._md.parse(window, env)
        if not tokens or tokens[0].map != [0, window.count("\n")] or _flowing(tokens) != kind:
            return False
        if env.get("references"):
            # a definition opening a paragraph of a quote, or a line that only looks like one
            # read first: the whole tells which, and keeps it
            return False
        self._growing = (kind, complete_end)
        return True

    def _split_open(self, complete_end: int) -> list[Piece]:
        """The tail continues a list or table printed in pieces: its finished pieces (a list's
        one item each, so that each can be drawn on its own), and whatever follows once it
        ended."""
        finished: list[Piece] = []
        while True:
            before = len(self._tail)
            finished += self._split_open_step(complete_end)
            cut = before - len(self._tail)
            if not cut or self._open is None or self._open.kind != "list":
                return finished
            complete_end -= cut
            if self._tail.count("\n", 0, complete_end) < 2:
                # the rest is the first line of the item the cut is at: nothing in it can end
                # that item or the list
                return finished

    def _split_open_step(self, complete_end: int) -> list[Piece]:
        part = self._open
        assert part is not None
        tail = self._tail
        complete = tail[:complete_end]
        if part.depth:
            nested = self._split_nested(complete)
            if nested is not None:
                return nested
        env: dict[str, Any] = {}
        later = part.kind == "list" and not part.first  # the tail starts at the list's next item
        head = part.head or (list_context(complete) if later else "")
        source = head + complete
        tokens = self._md.parse(source, env)
        self._merge_references(env)
        offsets = _line_offsets(complete)
        head_lines = head.count("\n")
        blocks = [t for t in tokens if t.level == 0 and t.nesting >= 0 and t.map]
        kinds = {"table": ("table_open",), "list": ("bullet_list_open", "ordered_list_open")}
        end_line = 0  # unless the tail starts with the block, as it always should: it ends
        if blocks and blocks[0].type in kinds[part.kind] and _first_line(blocks[0]) == 0:
            end_line = _lines(blocks[0])[1] - head_lines
        if end_line < len(offsets) - 1 or len(blocks) > 1:  # the block ended
            cut = offsets[min(end_line, len(offsets) - 1)]
            self._open, self._tail = None, tail[cut:]
            return [Piece(complete[:cut], replace(part, last=True)), *self._split()]
        if part.kind == "table":
            self._tail = tail[complete_end:]
            return [Piece(complete, part)] if complete else []
        starts = [tokens[i] for i in piece_starts(tokens) if _first_line(tokens[i]) > head_lines]
        if not starts:
            return []
        top = starts[0].type == "list_item_open" and starts[0].level == 1
        if not top and (blocks[0].type == "bullet_list_open" or part.digits):
            nested = self._cut_nested(tokens, _line_offsets(source), source, head_lines, ())
            if nested:
                return nested
        tops = [t for t in starts if t.type == "list_item_open" and t.level == 1]
        if not tops:
            return []
        cut = offsets[_first_line(tops[0]) - head_lines]  # the next top-level item started
        self._open = replace(
            part, first=False, number=part.number + 1, head="", holders=(), numbered=False
        )
        self._tail = tail[cut:]
        return [Piece(complete[:cut], part)]

    def _split_nested(self, complete: str) -> list[Piece] | None:
        """The tail is inside an item (`Part.holders`): read it on its own, the holder's
        content column off each line. While every line is indented that far, it is the rest
        of the holder's blocks and reads as it does in the whole list; None when it is not
        (a line further out, or a numbered list in it)."""
        part = self._open
        assert part is not None
        lazy: list[int] = []
        text = dedent(complete, part.column, lazy)
        if text is None:
            return self._outdent(complete)
        env: dict[str, Any] = {}
        tokens = self._md.parse(text, env)
        offsets = _line_offsets(text)
        if not reads_alone(tokens, text, lazy):
            return None
        self._merge_references(env)
        if (
            tokens[0].type == "fence"
            and len(tokens) == 1
            and not _is_closed(tokens[0], text, offsets)
        ):
            # the rest of the item is a code block still open: its lines are scanned as they
            # come, as a top-level one's are (see `open_fence`)
            fence = _open_fence(tokens[0], len(complete), text, offsets)
            fence.column = part.column
            self._fence = fence
            return []
        return self._cut_nested(tokens, offsets, text, 0, part.holders)

    def _outdent(self, complete: str) -> list[Piece] | None:
        """A complete line less indented than the tail's item: when it starts an item of an
        outer nested list (a bullet with text, as far in as that list's holder's content,
        at most 3 more), the lines before it are that item's last piece; None otherwise (the
        whole item is read again)."""
        part = self._open
        assert part is not None
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
        before = self._split_nested(complete[:offset])
        self._fence = None  # a code block it found open ends here
        if before is None or before:
            return before
        tail = self._tail
        self._open = replace(part, first=False, head=part.head + tail[:offset], holders=outer)
        self._tail = tail[offset:]
        return [Piece(tail[:offset], part)]

    def _cut_nested(
        self,
        tokens: list[Any],
        offsets: list[int],
        source: str,
        head_lines: int,
        outer: tuple[int, ...],
    ) -> list[Piece]:
        """Print the tail up to the first item (at any depth) that starts after its first
        line, when the lists in it are bulleted, but for a numbered top-level list whose width
        is fixed already (`Part.digits`): nothing after can change how it looks (a numbered
        list's width can), and each piece is one item, drawn on its own at its depth.
        `tokens` parse `source`; its first `head_lines` lines were printed already; `outer`:
        the content columns of the items that hold it."""
        part = self._open
        assert part is not None
        numbered = bool(part.digits) and not outer and tokens[0].type == "ordered_list_open"
        if any(t.type == "ordered_list_open" for t in tokens[1 if numbered else 0 :]):
            return []
        at = next(
            (i for i in piece_starts(tokens, bool(outer)) if _first_line(tokens[i]) > head_lines),
            None,
        )
        if at is None or (numbered and tokens[at].level == 1):
            return []  # nothing, or the next numbered item: the next piece has its number
        ancestors: list[int] = []  # indices of the open tokens around it
        for index, token in enumerate(tokens[:at]):
            if token.nesting == 1:
                ancestors.append(index)
            elif token.nesting == -1:
                ancestors.pop()
        if any(tokens[i].type not in _HOLDERS for i in ancestors if i or not numbered):
            return []  # inside a quote: drawn with more than padding
        base = outer[-1] if outer else 0
        columns = list(outer)
        for index in ancestors:
            if tokens[index].type != "list_item_open":
                continue
            if _may_draw_no_row(tokens[index + 1 : at]):
                return []  # no row of the item drawn yet: its bullet goes on the next row
            first = _first_line(tokens[index])
            line = source[offsets[first] : offsets[first + 1]]
            top = numbered and tokens[index].level == 1  # the numbered list's own item
            found = number_column(line) if top else content_column(line)
            if found is None:
                return []
            columns.append(base + found)
        cut_line = _first_line(tokens[at]) - head_lines
        tail = self._tail
        complete_offsets = _line_offsets(tail[: tail.rfind("\n") + 1])
        cut = complete_offsets[cut_line]
        self._open = replace(
            part,
            first=False,
            head=part.head + tail[:cut],
            holders=tuple(columns),
            numbered=numbered or part.numbered,
        )
        self._tail = tail[cut:]
        return [Piece(tail[:cut], part)]

    def _merge_references(self, env: dict[str, Any]) -> None:
        for label, ref in env.get("references", {}).items():
            self.references.setdefault(label, ref)

    def _collect_references(self, text: str) -> None:
        env: dict[str, Any] = {}
        self._md.parse(text, env)
        self._merge_references(env)


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_IN_QUOTE = frozenset({"paragraph_open", "inline", "paragraph_close"})


def _flowing(tokens: list[Any]) -> str | None:
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


def _lines(token: Any) -> tuple[int, int]:
    """The lines a block token spans (block tokens always have a map)."""
    assert token.map is not None
    return int(token.map[0]), int(token.map[1])


def _first_line(token: Any) -> int:
    """The first line of a block token."""
    return _lines(token)[0]


def _line_offsets(text: str) -> list[int]:
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


def _is_closed(token: Any, text: str, offsets: list[int]) -> bool:
    """Whether a fence token has its closing line (any other block counts as closed)."""
    if token.type != "fence":
        return True
    first, end = token.map
    if end - first < 2:
        return False
    line = text[offsets[end - 1] : offsets[end]].rstrip("\n")
    fence = OpenFence(info="", _char=token.markup[0], _length=len(token.markup))
    return fence.closes(line)


def _open_fence(token: Any, scanned: int, text: str, offsets: list[int]) -> OpenFence:
    opener = text[offsets[token.map[0]] : offsets[token.map[0] + 1]]
    indent = len(opener) - len(opener.lstrip(" "))
    content: str = token.content
    lines = content.split("\n")[:-1] if content else []
    return OpenFence(
        info=token.info,
        lines=lines,
        _char=token.markup[0],
        _length=len(token.markup),
        _indent=indent,
        _scanned=scanned,
    )


_LIST_TOKENS = frozenset(
    f"{kind}_{end}"
    for kind in ("bullet_list", "ordered_list", "list_item")
    for end in ("open", "close")
)
_HOLDERS = ("bullet_list_open", "list_item_open")
# A bullet item begun with a letter: no block but a list item starts that way, and the rest
# of its line cannot make it anything else (a digit could start a numbered list in it)
_ITEM_BEGUN = re.compile(r" *[-*+] {1,4}[A-Za-z]")


def dedent(text: str, column: int, lazy: list[int] | None = None) -> str | None:
    """`text` with `column` leading spaces taken off every line (a blank line may have
    fewer); None when a line that is not blank has fewer, or a tab among them, or a tab in
    the indent left when `column` is not a tab stop (a tab reaches the next stop counted from
    the line's start: taken off, it would stand for other spaces). With `lazy`, a line with
    fewer spaces that starts no list item is kept without them and its index added to
    `lazy`: in the item it can only go on a paragraph begun above it (see `reads_alone`),
    whose lines lose all their spaces up to the item's column."""
    out = []
    for index, line in enumerate(text.split("\n")):
        kept = _strip_indent(line, column)
        if kept is None:
            return None
        if len(line) - len(kept) < column and kept.strip(" \t\r"):
            if lazy is None or starts_item(kept):
                return None
            lazy.append(index)
        if column % 4 and "\t" in kept[: len(kept) - len(kept.lstrip(" \t"))]:
            return None
        out.append(kept)
    return "\n".join(out)


def _tabs_as_spaces(text: str, column: int) -> str:
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


def _strip_indent(line: str, indent: int) -> str | None:
    """Remove up to `indent` leading spaces, as the parser does; None if a tab is in the way."""
    head = line[:indent]
    if "\t" in head:
        return None
    spaces = len(head) - len(head.lstrip(" "))
    return line[spaces:]
