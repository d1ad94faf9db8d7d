"""The reasoning display: left-ruled lines, streamed row by row, and the one-line summaries."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.text import Text

from termchat.render.sanitize import sanitize

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


def header() -> Text:
    """`▾ Thinking`, the first line of shown reasoning."""
    return Text("▾ Thinking", style="termchat.thinking.title")


def spinner_line(elapsed: float, tokens: int) -> Text:
    """The collapsed live line: `▸ Thinking… ⠹ 3.2 s · 120 tokens`."""
    frame = SPINNER[int(elapsed * 10) % len(SPINNER)]
    return Text(
        f"▸ Thinking… {frame} {elapsed:.1f} s · {_tokens(tokens)}",
        style="termchat.thinking.summary",
    )


def summary_line(elapsed: float, tokens: int) -> Text:
    """Printed once when collapsed reasoning ends: `▸ Thought for 4.2 s · 312 tokens  (^T…)`."""
    return Text(
        f"▸ Thought for {elapsed:.1f} s · {_tokens(tokens)}  (^T to show)",
        style="termchat.thinking.summary",
    )


def stored_summary_line(thinking: str, number: int | None) -> Text:
    """Collapsed reasoning of a finished message: `▸ Thought · ~N tokens  (/thinking N to show)`.

    The token count is estimated from the length (about four characters per token): stored
    messages do not keep the reasoning's own count.
    """
    estimate = max(1, round(len(thinking) / 4))
    command = f"/thinking {number}" if number is not None else "/thinking"
    return Text(
        f"▸ Thought · ~{_tokens(estimate)}  ({command} to show)",
        style="termchat.thinking.summary",
    )


def _tokens(count: int) -> str:
    return f"{count} token" if count == 1 else f"{count} tokens"


def ruled_rows(console: Console, line: str, width: int) -> list[Row]:
    """One logical line of reasoning wrapped to `width` cells, each row behind the rule."""
    options = console.options.update(width=max(1, width - len(RULE)), height=None)
    rows = console.render_lines(Text(line, style="termchat.thinking"), options, pad=False)
    rule = Segment(RULE, console.get_style("termchat.thinking.rule", default="none"))
    return [[rule, *row] for row in rows]


class Rows:
    """Pre-rendered rows as a renderable (each row ends with a newline)."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        newline = Segment.line()
        for row in self.rows:
            yield from row
            yield newline


class Ruled:
    """All of some reasoning, left-ruled (the static form of what the live view streams)."""

    def __init__(self, thinking: str) -> None:
        self.lines = thinking_lines(thinking)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            yield Rows(ruled_rows(console, line, options.max_width))


class ThinkingStream:
    """Streams reasoning into the scrollback: finished rows once, the current row live.

    Feed it the whole reasoning so far with `take`; `step` then says what to print and what to
    keep live. Only complete lines are sanitized and stored; the line in progress is wrapped on
    each frame and every row but its last goes to the scrollback (greedy word wrap never moves
    a finished row). Blank lines at either end are never shown, matching `Ruled`.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._raw_partial = ""
        self._consumed = 0
        self._lines_done = 0
        self._rows_done = 0
        self._row_width = 0  # the width the current line's printed rows were wrapped at
        self.header_shown = False

    @property
    def partial(self) -> str:
        """The line in progress, sanitized."""
        return sanitize(self._raw_partial)

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
        for line in sanitize(text[: cut + 1]).split("\n")[:-1]:
            if self.lines or line.strip():
                self.lines.append(line)

    def step(
        self, console: Console, *, final: bool = False, live: bool = True
    ) -> tuple[list[RenderableType], list[Row]]:
        """What to print now and the rows to keep live (expanded mode).

        Args:
            console: Renders the rows.
            final: The reasoning has ended: print everything left.
            live: A live region exists; without one, only complete lines are printed.

        Returns:
            (renderables for the scrollback, live rows).
        """
        out: list[RenderableType] = []
        if not self.header_shown:
            out.append(header())
            self.header_shown = True
        partial = self.partial
        if final and partial.strip():
            self.lines.append(partial)
            self._raw_partial = partial = ""
        count = len(self.lines)
        if not partial.strip():  # trailing blank lines wait for a non-blank one
            while count > self._lines_done and not self.lines[count - 1].strip():
                count -= 1
        width = console.width
        for index in range(self._lines_done, count):
            rows = ruled_rows(console, self.lines[index], self._width(width))
            out.append(Rows(rows[self._rows_done :]))
            self._lines_done, self._rows_done = index + 1, 0
        if not live or self._lines_done < len(self.lines) or not partial.strip():
            return out, []
        row_width = self._width(width)
        rows = ruled_rows(console, partial, row_width)
        if len(rows) - 1 > self._rows_done:
            out.append(Rows(rows[self._rows_done : -1]))
            self._rows_done = len(rows) - 1
            self._row_width = row_width
        return out, rows[self._rows_done :]

    def _width(self, width: int) -> int:
        return self._row_width if self._rows_done else width
