"""Code blocks: drawn whole (numbered, padded) and printed line by line while they grow, alike."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from markdown_it.token import Token
from pygments.lexer import RegexLexer
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import CodeBlock, Markdown
from rich.segment import Segment
from rich.syntax import Syntax, SyntaxTheme
from rich.text import Text

from termchat.render.fences import OpenFence
from termchat.render.onerow import one_row
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


# Where lexing can start again: an offset in the code where a token started, and the lexer's
# state stack there. Lexing from it gives what lexing from the top would give after it.
Resume = tuple[int, tuple[str, ...]]
TOP: Resume = (0, ("root",))
# For a lexer whose state cannot be read (one that rewrites its tokens, or not a regex
# lexer), new code is lexed from this many lines before it (the line in progress alone: one),
# guessing the root state: usually right, not always (a string or comment that began further
# up). The same when the last resume point is more than FAR lines up (a lexer that takes each
# newline together with the next line's indent starts few matches at a line start): lexing
# from there every frame would cost more than the block once. No state is noted from a guess.
CONTEXT_LINES = 3
FAR = 4
TAB_SIZE = 4  # rich's Syntax default, used by its Markdown code blocks


def lexer_name(info: str) -> str:
    """The lexer rich's Markdown picks for a fence's info string (known names only)."""
    name = info.partition(" ")[0]
    return name if name and known_lexer(name) else "text"


class CodeRows:
    """Highlighted, wrapped rows of a code block, drawn like `Syntax(..., word_wrap=True,
    padding=CODE_PADDING)` (what `SafeMarkdown` uses), one line at a time.

    Highlighting and wrapping of complete lines are cached, so a frame only pays for the lines
    that arrived since the last one and for the line in progress. A regex lexer goes on from
    the state it was in where the new lines begin (noted while lexing the earlier ones), so
    each line is lexed about once and coloured as in the whole block, however far up a string
    or comment began.
    """

    def __init__(self, info: str, theme: CodeTheme, inset: int = 0) -> None:
        self.inset = inset  # columns of the console's width left of the block (a list's padding)
        syntax = Syntax("", lexer_name(info), theme=theme, word_wrap=True, tab_size=TAB_SIZE)
        lexer = syntax.lexer or syntax.default_lexer
        self._resumable = (
            isinstance(lexer, RegexLexer)
            and type(lexer).get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed
        )
        self._start: Resume = TOP  # where the lexing now under way started
        self._resumes: list[Resume] = [TOP]  # in order of offset
        self._offsets = [0]  # their offsets
        self._limit = 0  # resume points past this offset are not noted (text still changing)
        self._lexing = False
        if self._resumable:  # the lexer is this block's own: rich made it for this Syntax
            lexer.get_tokens_unprocessed = self._tokens
        self._lexer = lexer
        self._syntax = Syntax("", lexer, theme=theme, word_wrap=True, tab_size=TAB_SIZE)
        self.syntax_theme = Syntax.get_theme(theme)
        self.style = self.syntax_theme.get_background_style()
        self._code = ""  # the complete lines so far, tabs expanded, each with its newline
        self._starts: list[int] = [0]  # offset in `_code` of each complete line, and the end
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
        for line in lines[len(self._starts) - 1 :]:
            self._code += line.expandtabs(TAB_SIZE) + "\n"
            self._starts.append(len(self._code))
        new = lines[done:]
        context = CONTEXT_LINES if new else 1  # the line in progress alone, redrawn: less
        texts = self._lex(done, [*new, partial] if partial else new, context, note=True)
        self._texts.extend(texts[: len(new)])
        return texts[-1] if partial else None

    def _lex(
        self, line: int, rest: list[str], context: int = CONTEXT_LINES, *, note: bool = False
    ) -> list[Text]:
        """Highlighted `rest`: the lines that follow complete line `line - 1` (the first of
        them may differ from the complete line `line`, as the final lines of a block can).

        Args:
            context: Lines to lex first when the state there is not known.
            note: Note the resume points found in the complete lines (they no longer change).
        """
        start, known = self._resume_before(line, context, FAR if context > 1 else 1)
        head = self._code[start[0] : self._starts[line]]
        code = head + "\n".join(rest).expandtabs(TAB_SIZE) + "\n"
        self._start = start
        # a state is noted only where lexing began in a known one, not from a guess
        self._limit = self._starts[-1] - start[0] if note and known else -1
        texts = self._syntax.highlight(code).split("\n")
        skip = head.count("\n")
        return list(texts[skip : skip + len(rest)])

    def _resume_before(self, line: int, context: int, far: int) -> tuple[Resume, bool]:
        """Where to lex complete line `line` from, and whether its state is known: the last
        resume point at or before its start, when it is at most `far` lines up; else `context`
        lines up, guessing the root state."""
        offset = self._starts[line]
        if self._resumable:
            found = self._resumes[bisect.bisect_right(self._offsets, offset) - 1]
            if found[0] >= self._starts[max(0, line - far)]:
                return found, True
        return (self._starts[max(0, line - context)], ("root",)), False

    def _tokens(self, text: str, stack: Iterable[str] = ("root",)) -> Iterator[Any]:
        """The regex lexer's tokens of `text`, lexed from `_start`'s state; notes a resume point
        where a match starts a line. A rule that lexes part of a match with the same lexer
        (`using(this)`) gets the plain lexer."""
        if self._lexing:
            yield from RegexLexer.get_tokens_unprocessed(self._lexer, text, tuple(stack))
            return
        base, state = self._start
        tokens = RegexLexer.get_tokens_unprocessed(self._lexer, text, state)
        frame = tokens.gi_frame
        limit, offsets = self._limit, self._offsets
        self._lexing = True
        try:
            for token in tokens:
                index = token[0]
                if 0 < index <= limit and text[index - 1] == "\n" and frame is not None:
                    # the lexer's own position and stack: a match starts here, in this state
                    local = frame.f_locals
                    stack = local.get("statestack")
                    if local.get("pos") == index and stack and base + index > offsets[-1]:
                        offsets.append(base + index)
                        self._resumes.append((base + index, tuple(stack)))
                yield token
        finally:
            self._lexing = False

    def rows(self, console: Console, index: int) -> list[Row]:
        """The wrapped rows of complete line `index` (highlighted already)."""
        width = console.width - self.inset
        if width != self._width:
            self._rows, self._width = [], width
        while len(self._rows) <= index:
            self._rows.append(self.wrap(console, self._texts[len(self._rows)]))
        return self._rows[index]

    def fresh_rows(self, console: Console, lines: list[str], start: int) -> list[Row]:
        """Rows of lines `start:`, highlighted now and not cached (the final lines of a block:
        the same as the complete lines before `start`, perhaps not after)."""
        rows: list[Row] = []
        for text in self._lex(start, lines[start:]):
            rows.extend(self.wrap(console, text))
        return rows

    def wrap(self, console: Console, text: Text) -> list[Row]:
        """One highlighted line as padded rows, wrapped like rich's Syntax wraps it."""
        width = max(1, console.width - self.inset - 2 * CODE_PADDING[1])
        pad = Segment(" " * CODE_PADDING[1], self.style)
        fill = not self.style.transparent_background
        row = one_row(console, text, width, self.style, justify="left", overflow="fold", pad=fill)
        if row is not None:
            return [[pad, *row, pad]]
        options = console.options.update(width=width, height=None, justify="left", no_wrap=False)
        return [
            [pad, *row, pad]
            for row in console.render_lines(text, options, style=self.style, pad=fill)
        ]


class FenceStream:
    """Streams the tail's open fenced code block: complete lines to the scrollback, the rest live.

    A line goes to the scrollback once a non-blank line follows it: the whole block is drawn
    from its code with trailing whitespace stripped, which can only change the last lines.
    """

    def __init__(self, fence: OpenFence, theme: CodeTheme, number: int = 0, inset: int = 0) -> None:
        self.code = CodeRows(fence.info, theme, inset)
        self.number = number  # shown above the block (0: not numbered)
        self.printed = 0
        self.rows_printed = 0  # the rows of the lines printed, and of the number above them
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
            if not self.printed:
                rows = self._label(console) + rows
            printed = Rows(rows)
            self.rows_printed += len(rows)
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
        self.rows_printed += len(rows)
        return Rows(rows)

    def _label(self, console: Console) -> list[Row]:
        """The number row above the block, as `PaddedCodeBlock` draws it (none unnumbered)."""
        if not self.number:
            return []
        width = max(1, console.width - self.code.inset)
        label = code_label(self.number, self.code.syntax_theme, width)
        options = console.options.update(width=width, height=None)
        return console.render_lines(label, options, pad=False)
