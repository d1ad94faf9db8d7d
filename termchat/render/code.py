"""Prints a growing fenced code block line by line, exactly as rich's Markdown draws it whole."""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.syntax import Syntax
from rich.text import Text

from termchat.render.blocks import OpenFence
from termchat.render.markdown import CODE_PADDING, known_lexer
from termchat.render.thinking import Row, Rows

# Lines before new code that are highlighted again as context, so code continuing a
# multi-line string or comment is usually coloured right without lexing the whole block
# (lexing is the main cost of a frame: about 0.1 ms a line for Python). The line in progress,
# redrawn on every frame, gets less.
CONTEXT_LINES = 3
PREVIEW_CONTEXT_LINES = 1
TAB_SIZE = 4  # rich's Syntax default, used by its Markdown code blocks


def lexer_name(info: str) -> str:
    """The lexer rich's Markdown picks for a fence's info string (known names only)."""
    name = info.partition(" ")[0]
    return name if name and known_lexer(name) else "text"


class CodeRows:
    """Highlighted, wrapped rows of a code block, drawn like `Syntax(..., word_wrap=True,
    padding=CODE_PADDING)` (what `SafeMarkdown` uses), one line at a time.

    Highlighting and wrapping of complete lines are cached, so a frame only pays for the lines
    that arrived since the last one and for the line in progress.
    """

    def __init__(self, info: str, theme: str) -> None:
        syntax = Syntax("", lexer_name(info), theme=theme, word_wrap=True, tab_size=TAB_SIZE)
        lexer = syntax.lexer or syntax.default_lexer
        self._syntax = Syntax("", lexer, theme=theme, word_wrap=True, tab_size=TAB_SIZE)
        self.style = Syntax.get_theme(theme).get_background_style()
        self._texts: list[Text] = []  # highlighted complete lines
        self._rows: list[list[Row]] = []  # their wrapped rows at `_width`
        self._width = 0

    def highlight(self, lines: list[str], partial: str = "") -> Text | None:
        """Highlight the complete lines not yet cached, and the line in progress, in one pass.

        Returns:
            The highlighted line in progress (None without one); it is not cached.
        """
        done = len(self._texts)
        if len(lines) <= done and not partial:
            return None
        if len(lines) <= done:  # only the line in progress changed: a little context is enough
            first = max(0, done - PREVIEW_CONTEXT_LINES)
            return self._lex([*lines[first:], partial], done - first, done - first + 1)[0]
        texts = self._lex([*lines, partial] if partial else lines, done, len(lines) + 1)
        self._texts.extend(texts[: len(lines) - done])
        return texts[-1] if partial else None

    def _lex(self, lines: list[str], start: int, end: int) -> list[Text]:
        """Highlighted lines `start:end` of `lines`, lexed from a few lines before `start`."""
        first = max(0, start - CONTEXT_LINES)
        code = "\n".join(lines[first:end]).expandtabs(TAB_SIZE) + "\n"
        texts = self._syntax.highlight(code).split("\n")
        return list(texts[start - first : end - first])

    def rows(self, console: Console, index: int) -> list[Row]:
        """The wrapped rows of complete line `index` (highlighted already)."""
        width = console.width
        if width != self._width:
            self._rows, self._width = [], width
        while len(self._rows) <= index:
            self._rows.append(self.wrap(console, self._texts[len(self._rows)]))
        return self._rows[index]

    def fresh_rows(self, console: Console, lines: list[str], start: int) -> list[Row]:
        """Rows of lines `start:`, highlighted now and not cached (the final lines of a block)."""
        rows: list[Row] = []
        for text in self._lex(lines, start, len(lines)):
            rows.extend(self.wrap(console, text))
        return rows

    def wrap(self, console: Console, text: Text) -> list[Row]:
        """One highlighted line as padded rows, wrapped like rich's Syntax wraps it."""
        width = console.width
        side = CODE_PADDING[1]
        options = console.options.update(
            width=max(1, width - 2 * side), height=None, justify="left", no_wrap=False
        )
        pad = Segment(" " * side, self.style)
        fill = not self.style.transparent_background
        return [
            [pad, *row, pad]
            for row in console.render_lines(text, options, style=self.style, pad=fill)
        ]


class FenceStream:
    """Streams the tail's open fenced code block: complete lines to the scrollback, the rest live.

    A line goes to the scrollback once a non-blank line follows it: the whole block is drawn
    from its code with trailing whitespace stripped, which can only change the last lines.
    """

    def __init__(self, fence: OpenFence, theme: str) -> None:
        self.code = CodeRows(fence.info, theme)
        self.printed = 0
        self._last_text = -1  # index of the last non-blank line seen
        self._looked = 0

    def step(
        self, console: Console, fence: OpenFence, partial: str
    ) -> tuple[Rows | None, list[Row]]:
        """One frame: the lines to print now (if any) and the rows to keep live.

        Args:
            console: Renders the rows.
            fence: The splitter's open fence (its complete lines).
            partial: The sanitized line in progress.

        Returns:
            (rows for the scrollback or None, live rows: the lines not printed yet and the line
            in progress).
        """
        code = self.code
        lines = fence.lines
        text = code.highlight(lines, partial)
        for index in range(self._looked, len(lines)):
            if lines[index].strip():
                self._last_text = index
        self._looked = len(lines)
        printed = None
        if self._last_text > self.printed:
            rows: list[Row] = []
            for index in range(self.printed, self._last_text):
                rows.extend(code.rows(console, index))
            self.printed = self._last_text
            printed = Rows(rows)
        live: list[Row] = []
        for index in range(self.printed, len(lines)):
            live.extend(code.rows(console, index))
        if text is not None:
            live.extend(code.wrap(console, text))
        return printed, live

    def print_rest(self, console: Console, final_lines: list[str]) -> Rows:
        """The rest of the finished block from its final (stripped) lines."""
        code = self.code
        rows = code.fresh_rows(console, final_lines, self.printed)
        self.printed = len(final_lines)
        return Rows(rows)
