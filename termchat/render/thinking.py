"""The reasoning display: left-ruled lines, streamed row by row, and the one-line summaries."""

from __future__ import annotations

import re

from rich._wrap import divide_line
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.text import Text

from termchat.messages import Stats
from termchat.render.parts import tokens_text
from termchat.render.sanitize import sanitize
from termchat.render.trim import fills, trim_rows

RULE = "┃ "
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
Row = list[Segment]


def thinking_lines(text: str) -> list[str]:
    """The sanitized lines of some reasoning, without blank lines at either end."""
    lines = sanitize(text).split("\n")
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def header(hidden_rows: int = 0) -> Text:
    """`▾ Thinking`, the first line of shown reasoning; live, with the rows above the screen."""
    title = "▾ Thinking"
    if hidden_rows:
        rows = "1 more row" if hidden_rows == 1 else f"{hidden_rows} more rows"
        title += f" · {rows} above, printed when it ends"
    return Text(title, style="termchat.thinking.title")


def _show_command(number: int | None) -> str:
    return f"/thinking {number}" if number is not None else "/thinking"


def spinner_line(elapsed: float, tokens: int, key: str = "^T") -> Text:
    """The collapsed live line: `▸ Thinking… ⠹ 3.2 s · ~120 tokens  (^T shows it)`; `key`:
    the key that shows reasoning."""
    frame = SPINNER[int(elapsed * 10) % len(SPINNER)]
    return Text(
        f"▸ Thinking… {frame} {elapsed:.1f} s · {tokens_text(tokens)}  ({key} shows it)",
        style="termchat.thinking.summary",
    )


def summary_line(elapsed: float, tokens: int, number: int | None = None) -> Text:
    """Printed once when collapsed reasoning ends:
    `▸ Thought for 4.2 s · ~312 tokens  (/thinking 3 to show)`."""
    return Text(
        f"▸ Thought for {elapsed:.1f} s · {tokens_text(tokens)}  ({_show_command(number)} to show)",
        style="termchat.thinking.summary",
    )


def stored_summary_line(thinking: str, number: int | None, stats: Stats | None = None) -> Text:
    """Collapsed reasoning of a finished message: `▸ Thought · ~N tokens  (/thinking N to show)`.

    The count is the one shown when the reply streamed (kept in its stats); a message saved
    before termchat kept it gets an estimate from the length (about four characters a token).
    """
    count = stats.thinking_tokens if stats is not None else None
    tokens = int(count.value) if count is not None else max(1, round(len(thinking) / 4))
    return Text(
        f"▸ Thought · {tokens_text(tokens)}  ({_show_command(number)} to show)",
        style="termchat.thinking.summary",
    )


def ruled_rows(console: Console, line: str, width: int) -> list[Row]:
    """One logical line of reasoning wrapped to `width` cells, each row behind the rule."""
    options = console.options.update(width=max(1, width - len(RULE)), height=None)
    rows = console.render_lines(Text(line, style="termchat.thinking"), options, pad=False)
    rule = Segment(RULE, console.get_style("termchat.thinking.rule", default="none"))
    return [[rule, *row] for row in rows]


_WORD_END = re.compile(r"\S*")


def _final_rows(text: str, breaks: list[int], room: int) -> int:
    """How many rows of `text` (wrapped at `breaks`) no later text can change.

    rich's word wrap is greedy: text added at the end never moves a break before it. The rows
    before a break are final when the text from the break on wraps the same on its own: the
    break starts a word, or is inside a word too long for a row whose rest is still too long
    for one (a break in a long word's trailing spaces, or before its short end, is not).
    """
    for index in range(len(breaks) - 1, -1, -1):
        start = breaks[index]
        if text[start].isspace():
            continue
        if text[start - 1].isspace():
            return index + 1
        word = _WORD_END.match(text, start)
        if word is not None and cell_len(word.group()) > room:
            return index + 1
    return 0


class Rows:
    """Pre-rendered rows as a renderable (each row ends with a newline)."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        newline = Segment.line()
        for row in self.rows:
            yield from row
            yield newline


class RowTexts:
    """The terminal text of live rows, made once per row: rows kept from frame to frame (the
    reasoning's, a code block's) go through rich once, new rows all together. The rows shown
    last are held, so no other row can take their ids."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[Row, str, int]] = {}
        self._width = 0

    def text(self, console: Console, rows: list[Row]) -> tuple[str, list[int]]:
        """The rows' text (trailing blanks trimmed, see `trim`) and each row's cells."""
        known = self._known if console.width == self._width else {}
        fresh = [row for row in rows if id(row) not in known]
        if fresh:
            trimmed = trim_rows(fresh, fills(console))
            with console.capture() as capture:
                console.print(Rows(trimmed))
            texts = capture.get().split("\n")
            for row, cut, text in zip(fresh, trimmed, texts, strict=False):
                cells = sum(cell_len(s.text) for s in cut if not s.control)
                known[id(row)] = (row, text + "\n", cells)
        self._known = {id(row): known[id(row)] for row in rows}
        self._width = console.width
        return "".join(self._known[id(row)][1] for row in rows), [
            self._known[id(row)][2] for row in rows
        ]


class Ruled:
    """All of some reasoning, left-ruled (the static form of what the live view streams)."""

    def __init__(self, thinking: str) -> None:
        self.lines = thinking_lines(thinking)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            yield Rows(ruled_rows(console, line, options.max_width))


class ThinkingStream:
    """The reasoning of a streaming reply, as left-ruled rows.

    Feed it the whole reasoning so far with `take`, and `end` it when the answer starts. On a
    terminal, expanded reasoning stays in the live region while it streams (`live_rows`: the
    header and the last rows that fit), so Ctrl-T can still fold it to one line without
    leaving rows behind; when it ends, `printable` gives all of it for the scrollback at once.
    Without a terminal, `printable` is called on every frame and gives each complete line once.

    Only complete lines are sanitized and kept, and their rows are cached for the current
    width; the line in progress is wrapped from its last row (the rows before it cannot change
    as the line grows: rich's greedy word wrap only ever adds breaks at the end), so a frame
    costs the rows it shows plus the text that arrived. Blank lines at either end are never
    shown, matching `Ruled`.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._raw_partial = ""
        self._consumed = 0
        self._rows: list[list[Row]] = []  # rows of `lines[i]` at `_width`
        self._rows_before: list[int] = [0]  # rows of `lines[:i]`, so a frame never sums them
        self._width = 0
        self._printed = 0  # lines already given by `printable`
        self._header_printed = False
        # the line in progress: its rows up to `_wrapped` characters (sanitized) at `_width`
        self._partial_rows: list[Row] = []
        self._wrapped = 0
        self._wrapped_text = ""

    @property
    def partial(self) -> str:
        """The line in progress, sanitized."""
        return sanitize(self._raw_partial)

    @property
    def has_text(self) -> bool:
        """Whether anything but blank lines arrived."""
        return bool(self.lines) or bool(self._raw_partial.strip())

    def take(self, thinking: str) -> None:
        """Note the reasoning so far (only the new part is looked at)."""
        if len(thinking) <= self._consumed:
            return
        text = self._raw_partial + thinking[self._consumed :]
        self._consumed = len(thinking)
        cut = text.rfind("\n")
        if cut < 0:
            self._raw_partial = text
            return
        self._raw_partial = text[cut + 1 :]
        self._partial_rows, self._wrapped, self._wrapped_text = [], 0, ""
        for line in sanitize(text[: cut + 1]).split("\n")[:-1]:
            if self.lines or line.strip():
                self.lines.append(line)

    def end(self) -> None:
        """The reasoning is over: the line in progress becomes a complete line."""
        partial = self.partial
        if partial.strip():
            self.lines.append(partial)
        self._raw_partial = ""

    def live_rows(self, console: Console, budget: int) -> list[Row]:
        """The header and the last rows of the reasoning, at most `budget` rows in all."""
        count, partial = self._shown()
        tail: list[Row] = self._wrap_partial(console, partial) if partial else []
        index = count
        while index and len(tail) < budget - 1:
            index -= 1
            tail[:0] = self._line_rows(console, index)
        room = max(0, budget - 1)
        if index:
            self._line_rows(console, index - 1)
        hidden = self._rows_before[index] + max(0, len(tail) - room)
        rows = tail[len(tail) - room :] if room else []
        options = console.options.update(height=None, no_wrap=True, overflow="ellipsis")
        return [*console.render_lines(header(hidden), options, pad=False)[:1], *rows]

    def printable(self, console: Console) -> list[RenderableType]:
        """The header (the first time) and the complete lines not given before."""
        out: list[RenderableType] = []
        if not self._header_printed:
            out.append(header())
            self._header_printed = True
        count, _ = self._shown()
        rows: list[Row] = []
        for index in range(self._printed, count):
            rows.extend(self._line_rows(console, index))
        if rows:
            out.append(Rows(rows))
        self._printed = max(self._printed, count)
        return out

    def _shown(self) -> tuple[int, str]:
        """How many complete lines show, and the line in progress ("" when blank): blank
        lines at the end wait for a line that is not blank."""
        partial = self.partial
        count = len(self.lines)
        if partial.strip():
            return count, partial
        while count > self._printed and not self.lines[count - 1].strip():
            count -= 1
        return count, ""

    def _wrap_partial(self, console: Console, partial: str) -> list[Row]:
        """The rows of the line in progress, wrapped from the last row that could still change."""
        width = self._at_width(console)
        if "\t" in partial or not partial.startswith(self._wrapped_text):
            # tabs are expanded from the start of the line; sanitizing changed the text
            self._partial_rows, self._wrapped, self._wrapped_text = [], 0, ""
            if "\t" in partial:
                return ruled_rows(console, partial, width)
        rest = partial[self._wrapped :]
        rows = ruled_rows(console, rest, width)
        room = max(1, width - len(RULE))
        breaks = divide_line(rest, room, fold=True)
        if len(rows) == len(breaks) + 1:
            final = _final_rows(rest, breaks, room)
            if final:
                self._partial_rows.extend(rows[:final])
                self._wrapped += breaks[final - 1]
                self._wrapped_text = partial[: self._wrapped]
                rows = rows[final:]
        return [*self._partial_rows, *rows]

    def _at_width(self, console: Console) -> int:
        """The console's width; the rows kept for another width are forgotten."""
        width = console.width
        if width != self._width:
            self._rows, self._rows_before, self._width = [], [0], width
            self._partial_rows, self._wrapped, self._wrapped_text = [], 0, ""
        return width

    def _line_rows(self, console: Console, index: int) -> list[Row]:
        width = self._at_width(console)
        while len(self._rows) <= index:
            rows = ruled_rows(console, self.lines[len(self._rows)], width)
            self._rows.append(rows)
            self._rows_before.append(self._rows_before[-1] + len(rows))
        return self._rows[index]
