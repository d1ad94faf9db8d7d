"""Code blocks: drawn whole (numbered, padded) and printed line by line while they grow, alike."""

from __future__ import annotations

from functools import lru_cache

from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import CodeBlock, Markdown
from rich.segment import Segment
from rich.syntax import Syntax, SyntaxTheme
from rich.text import Text

from termchat.render.blocks import OpenFence
from termchat.render.styles import CodeTheme
from termchat.render.thinking import Row, Rows

CODE_PADDING = (0, 1)
"""A code block's padding (rows, columns): one column each side, no blank rows above or below
(the blank line between blocks is the only space around it)."""


class PaddedCodeBlock(CodeBlock):
    """A code block as rich draws it, with `CODE_PADDING` instead of a blank row on each side,
    under a row with its number (`[2]`, for `/copy code 2`) when the document numbers them."""

    number = 0

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> CodeBlock:
        block = super().create(markdown, token)
        start = getattr(markdown, "code_start", 0)  # a SafeMarkdown's
        if start:
            block.number = start + markdown.codes_drawn  # type: ignore[attr-defined]
            markdown.codes_drawn += 1  # type: ignore[attr-defined]
        return block

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        code = str(self.text).rstrip()
        syntax = Syntax(
            code, self.lexer_name, theme=self.theme, word_wrap=True, padding=CODE_PADDING
        )
        if self.number:
            yield code_label(self.number, syntax.get_theme(self.theme), options.max_width)
        yield syntax


def code_label(number: int, theme: SyntaxTheme, width: int) -> Text:
    """The row above a numbered code block: its number at the right, on the block's background."""
    label = f"[{number}]"
    side = CODE_PADDING[1]
    row = Text(" " * max(0, width - len(label) - side), style=theme.get_background_style())
    row.append(label, style="termchat.code.label")
    row.append(" " * side)
    row.stylize(theme.get_background_style())
    row.no_wrap, row.overflow = True, "crop"
    return row


def count_code_blocks(tokens: list[Token]) -> int:
    """How many code blocks (fenced or indented, at any depth) parsed `tokens` hold."""
    return sum(1 for token in tokens if token.type in ("fence", "code_block"))


@lru_cache(maxsize=256)
def known_lexer(name: str) -> bool:
    """Whether Pygments has a lexer called `name` (cached: a miss scans the plugins)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        get_lexer_by_name(name)
    except ClassNotFound:
        return False
    return True


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

    def __init__(self, info: str, theme: CodeTheme) -> None:
        syntax = Syntax("", lexer_name(info), theme=theme, word_wrap=True, tab_size=TAB_SIZE)
        lexer = syntax.lexer or syntax.default_lexer
        self._syntax = Syntax("", lexer, theme=theme, word_wrap=True, tab_size=TAB_SIZE)
        self.syntax_theme = Syntax.get_theme(theme)
        self.style = self.syntax_theme.get_background_style()
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

    def __init__(self, fence: OpenFence, theme: CodeTheme, number: int = 0) -> None:
        self.code = CodeRows(fence.info, theme)
        self.number = number  # shown above the block (0: not numbered)
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
            printed = Rows(self._label(console) + rows if not self.printed else rows)
            self.printed = self._last_text
        live: list[Row] = [] if self.printed else self._label(console)
        for index in range(self.printed, len(lines)):
            live.extend(code.rows(console, index))
        if text is not None:
            live.extend(code.wrap(console, text))
        return printed, live

    def print_rest(self, console: Console, final_lines: list[str]) -> Rows:
        """The rest of the finished block from its final (stripped) lines."""
        code = self.code
        rows = code.fresh_rows(console, final_lines, self.printed)
        if not self.printed:
            rows = self._label(console) + rows
        self.printed = len(final_lines)
        return Rows(rows)

    def _label(self, console: Console) -> list[Row]:
        """The number row above the block, as `PaddedCodeBlock` draws it (none unnumbered)."""
        if not self.number:
            return []
        label = code_label(self.number, self.code.syntax_theme, console.width)
        return console.render_lines(label, console.options.update(height=None), pad=False)
