"""Splits a streaming Markdown answer into finished top-level blocks and an unfinished tail."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from markdown_it import MarkdownIt

from termchat.render.fences import OpenFence, is_closed
from termchat.render.nested import (
    Cut,
    NestedSplitter,
    cut_nested,
    next_top_item,
    plain_items,
)
from termchat.render.pieces import (
    FREEZE_CELLS,
    MAX_NESTING,
    Part,
    Piece,
    list_context,
    piece_starts,
    split_block,
)
from termchat.render.tokens import first_line, flowing, line_offsets, token_lines


def make_parser() -> MarkdownIt:
    """The Markdown dialect termchat renders: CommonMark, tables, strikethrough, no raw HTML.

    With `html` off, HTML in an answer is plain text, never interpreted.
    """
    options = {"html": False, "maxNesting": MAX_NESTING}
    return MarkdownIt("commonmark", options).enable(["strikethrough", "table"])


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
        self._nested = NestedSplitter(self._md, self._merge_references)
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

    def growing_with(self, partial: str) -> str | None:
        """ "paragraph" or "quote" when the tail with the line in progress (`partial`) is
        that one top-level block, still open, and the line cannot change that once complete;
        else None (the tail is drawn whole).

        Args:
            partial: The line in progress after the tail's complete lines.
        """
        growing = self._growing[0] if self._growing is not None else None
        if growing is None and self._open is None and not self._tail.strip():
            growing = "paragraph" if _PARAGRAPH_START.match(partial) else None
        if growing is None or _MAY_RECAST.match(partial):
            return None
        return growing

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
            closed = self._fence.scan(self._tail)
            if closed is not None:
                block = self._cut(closed)
                if part is not None:  # the item's lines printed so far (see `Part.head`)
                    self._open = replace(part, head=part.head + block)
                finished.append(Piece(block, part))
            elif self._fence.lost:  # let the parser decide
                self._fence = None
            else:
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
        offsets = line_offsets(complete)
        last = blocks[-1]
        assert last.map is not None
        cuts = [b.map[0] for b in blocks[1:] if b.map]
        closed = is_closed(last, complete, offsets)
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
            self._fence = OpenFence.of(last, complete, offsets, complete_end - start)
        elif offsets[last.map[0]] >= start:  # the last block is still open
            block = tokens[indices[-1] :]
            part, rest, end = split_block(block, complete, offsets, self._freeze_cells, whole=False)
            if part is not None:
                finished.append(Piece(tail[start:end], part))
                start, self._open = end, rest
            elif rest is not None:
                self._open = rest
            elif (
                last.map[1] == len(offsets) - 1
                and (kind := flowing(tokens[indices[-1] :])) is not None
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
        if not tokens or tokens[0].map != [0, window.count("\n")] or flowing(tokens) != kind:
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
            nested = self._nested.split(part, complete)
            if nested is not None:
                return self._take(nested)
            top = next_top_item(part, complete)
            if top is not None:
                return self._next_item(part, complete[:top])
        elif part.kind == "list" and not part.digits and complete.count("\n") <= 2:
            # a top-level item's line, and the next item's begun below it: a third line
            # could end the list (another bullet), which the parser reads first
            plain = plain_items(part, complete, complete)
            if plain is not None:
                if plain.part is not None and not plain.part.depth:  # a sibling
                    return self._next_item(part, complete[: plain.offset])
                return self._take(plain)
        env: dict[str, Any] = {}
        later = part.kind == "list" and not part.first  # the tail starts at the list's next item
        head = part.head or (list_context(complete) if later else "")
        source = head + complete
        tokens = self._md.parse(source, env)
        self._merge_references(env)
        offsets = line_offsets(complete)
        head_lines = head.count("\n")
        blocks = [t for t in tokens if t.level == 0 and t.nesting >= 0 and t.map]
        kinds = {"table": ("table_open",), "list": ("bullet_list_open", "ordered_list_open")}
        end_line = 0  # unless the tail starts with the block, as it always should: it ends
        if blocks and blocks[0].type in kinds[part.kind] and first_line(blocks[0]) == 0:
            end_line = token_lines(blocks[0])[1] - head_lines
        if end_line < len(offsets) - 1 or len(blocks) > 1:  # the block ended
            cut = offsets[min(end_line, len(offsets) - 1)]
            self._open, self._tail = None, tail[cut:]
            return [Piece(complete[:cut], replace(part, last=True)), *self._split()]
        if part.kind == "table":
            self._tail = tail[complete_end:]
            return [Piece(complete, part)] if complete else []
        starts = [tokens[i] for i in piece_starts(tokens) if first_line(tokens[i]) > head_lines]
        if not starts:
            return []
        top = starts[0].type == "list_item_open" and starts[0].level == 1
        if not top and (blocks[0].type == "bullet_list_open" or part.digits):
            source_offsets = line_offsets(source)
            nested = cut_nested(part, complete, tokens, source_offsets, source, head_lines, ())
            if nested.offset:
                return self._take(nested)
        tops = [t for t in starts if t.type == "list_item_open" and t.level == 1]
        if not tops:
            return []
        cut = offsets[first_line(tops[0]) - head_lines]  # the next top-level item started
        return self._next_item(part, complete[:cut])

    def _next_item(self, part: Part, done: str) -> list[Piece]:
        """The next item of the top-level list begins after `done`, the rest of the last."""
        self._open = replace(
            part, first=False, number=part.number + 1, head="", holders=(), numbered=False
        )
        self._tail = self._tail[len(done) :]
        return [Piece(done, part)]

    def _take(self, cut: Cut) -> list[Piece]:
        """Apply what the tail read in its items gives (see `NestedSplitter`)."""
        if cut.fence is not None:
            self._fence = cut.fence
        if not cut.offset:
            return []
        part, tail = self._open, self._tail
        assert part is not None and cut.part is not None
        self._open, self._tail = cut.part, tail[cut.offset :]
        return [Piece(tail[: cut.offset], part)]

    def _merge_references(self, env: dict[str, Any]) -> None:
        for label, ref in env.get("references", {}).items():
            self.references.setdefault(label, ref)

    def _collect_references(self, text: str) -> None:
        env: dict[str, Any] = {}
        self._md.parse(text, env)
        self._merge_references(env)


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# A bullet item begun: no block but a list item starts with a bullet, spaces and anything
# but a blank or the bullet's character again (`- - -` and `* * *` are thematic breaks), and
# the rest of its line cannot make it anything else: a digit, a `#`, a `>`, a backtick or
# another bullet begins a block inside the new item
_ITEM_BEGUN = re.compile(r" *([-*+]) {1,4}(?!\1)\S")
# A line begun so that, once complete, it may recast the paragraph or quote above it whole (a
# setext underline, a table's delimiter row, a thematic break ending a quote: rich then draws
# no blank line above the quote)
_MAY_RECAST = re.compile(r"[ \t>]*(?:[-=|:]|[*_][*_ \t]*$)")
# A line that can only begin a paragraph (not a list item, heading, quote, code or a break)
_PARAGRAPH_START = re.compile(r" {0,3}(?:[A-Za-z(\"'“]|\d+[^\d.)]|\*\*\w)")
