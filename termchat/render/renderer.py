"""The Renderer: everything termchat prints, on one rich Console."""

from __future__ import annotations

import importlib
import io
import json
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TextIO

from rich.console import Console, RenderableType
from rich.text import Text

from termchat.messages import Message, Stats
from termchat.render.console import SafeConsole
from termchat.render.framelog import FrameLog
from termchat.render.parts import (
    error_text,
    footer_text,
    interrupted_text,
    one_line,
    stats_rows,
)
from termchat.render.sanitize import (
    escape_for_display,
    name_text,
    sanitize,
    short_name,
    show_hidden,
)
from termchat.render.styles import CodeTheme, code_theme, raw_control, rich_theme
from termchat.render.thinking import Ruled, header, stored_summary_line, thinking_lines
from termchat.render.trim import Trimmed
from termchat.themes import Theme, load_theme

if TYPE_CHECKING:
    from termchat.render.live import LiveReply
    from termchat.render.pull import PullDisplay

# Markdown, syntax highlighting, tables and panels are imported where they are first used
# (about 60 ms at start-up; `warm_up` loads them in the background once the prompt is up).

TOOL_OUTPUT_LINES = 20
TOOL_OUTPUT_CHARS = 2000
"""A tool result on screen: at most this many lines and characters (the model gets it all)."""

ColorSystem = Literal["auto", "standard", "256", "truecolor", "windows"]


class Renderer:
    """What a user sees: replies (live and stored), notices, tables, tool panels.

    Every piece of untrusted text is sanitized and wrapped in `Text`; the console itself has
    markup, emoji codes and highlighting off, so no string is ever read as markup.

    Args:
        file: Where to write (default: stdout).
        theme: A loaded theme (default: the built-in default theme).
        width: Fixed width (default: the terminal's, read again on every frame).
        height: Fixed height (default: the terminal's).
        force_terminal: Treat `file` as a terminal (True) or not (False); None detects it.
        no_color: No colours (styles such as bold stay); None: as the NO_COLOR environment
            variable says (set and not empty: no colours, see no-color.org).
        record: Keep what is printed, for `console.export_text()` (tests).
        color_system: rich's colour system; "auto" detects it.
        toggle_key: The key that shows/hides reasoning, as hints name it (`[keys]`).

    Raises:
        ConfigError: The theme has a bad style or code theme.
    """

    def __init__(
        self,
        file: TextIO | None = None,
        *,
        theme: Theme | None = None,
        width: int | None = None,
        height: int | None = None,
        force_terminal: bool | None = None,
        no_color: bool | None = None,
        record: bool = False,
        color_system: ColorSystem | None = "auto",
        toggle_key: str = "^T",
    ) -> None:
        self.theme = theme or load_theme()
        self._theme_pushed = False
        self._code_theme = code_theme(self.theme)
        self.toggle_key = toggle_key
        self.console: Console = SafeConsole(
            file=file,
            theme=rich_theme(self.theme),
            width=width,
            height=height,
            force_terminal=force_terminal,
            no_color=no_color,
            record=record,
            color_system=color_system,
            markup=False,
            emoji=False,
            highlight=False,
        )

    @property
    def code_theme(self) -> CodeTheme:
        """The code blocks' syntax theme: the theme's Pygments style, on its code background."""
        return self._code_theme

    def set_theme(self, theme: Theme) -> None:
        """Draw with `theme` from now on (/theme).

        Raises:
            ConfigError: The theme has a bad style or code theme; the old one stays.
        """
        styles, syntax = rich_theme(theme), code_theme(theme)
        if self._theme_pushed:
            self.console.pop_theme()
        self.console.push_theme(styles, inherit=False)  # it holds rich's defaults already
        self._theme_pushed = True
        self.theme, self._code_theme = theme, syntax

    def send_clipboard(self, text: str, *, passthrough: bool = False) -> bool:
        """Put `text` on the terminal's clipboard with OSC 52 (see `clipboard.osc52`); the
        one raw sequence termchat writes, safe because the text travels as base64.

        Returns:
            False when the console is not a terminal (nothing was written).
        """
        if not self.console.is_terminal:
            return False
        from termchat.clipboard import osc52

        self.console.control(raw_control(osc52(text, passthrough=passthrough)))
        self.console.file.flush()
        return True

    def print(self, *renderables: RenderableType) -> None:
        """Print rich renderables (never untrusted strings: wrap those in `Text`), each line
        ending at its last visible character (see `trim`)."""
        for renderable in renderables:
            self.console.print(Trimmed(renderable))

    def warm_up(self) -> None:
        """Load now what the first reply would otherwise load in the middle of a frame: rich's
        Markdown, table and syntax modules, the Python lexer (tens of milliseconds to build)
        and the code theme. Safe to run in a thread, e.g. `asyncio.to_thread` after the prompt
        is up; it draws nothing."""
        from rich.markdown import Markdown

        from termchat.render.code import known_lexer

        for module in ("termchat.render.live", "rich.panel", "rich.rule"):
            importlib.import_module(module)
        # rich caches a style's escape codes for the first colour system it is drawn with, so
        # the scratch console must use the real one's (truecolor here made code blocks ragged).
        scratch = Console(
            file=io.StringIO(),
            width=40,
            force_terminal=self.console.is_terminal,
            color_system=self.console.color_system,  # type: ignore[arg-type]
            no_color=self.console.no_color,
        )
        sample = "# x\n\n- a\n\n| a |\n|---|\n| 1 |\n\n```python\nx = 1  # y\n```\n"
        scratch.print(Markdown(sample, code_theme=self.theme.code_theme, hyperlinks=False))
        known_lexer("python")

    # --- one-liners ----------------------------------------------------------------------

    def notice(self, text: str) -> None:
        """An informational line."""
        self.print(Text(one_line(text), style="termchat.notice"))

    def warning(self, text: str) -> None:
        """A warning line."""
        self.print(Text(one_line(text), style="termchat.warning"))

    def error(self, text: str) -> None:
        """An error line (e.g. a server's message)."""
        self.print(error_text(text))

    def interrupted_marker(self) -> None:
        """`[interrupted]`."""
        self.print(interrupted_text())

    def footer(
        self,
        model: str | None,
        stats: Stats | None,
        elapsed: float | None,
        number: int | None = None,
    ) -> None:
        """`#3 · qwen3 · 24 tokens · 52.3 tok/s · 2.6 s`, leaving out what is unknown."""
        self.print(footer_text(model, stats, elapsed, number))

    # --- messages ------------------------------------------------------------------------

    def user_message(self, text: str, model: str | None = None) -> None:
        """A user's message as the prompt showed it (for a resumed conversation)."""
        prompt = f"{short_name(model)} ❯ " if model else "❯ "
        body = Text(sanitize(text), style="termchat.user")
        self.print(Text.assemble((prompt, "termchat.prompt"), body))

    def assistant_message(
        self, message: Message, *, show_thinking: bool, number: int | None = None
    ) -> None:
        """A finished reply, as it looked when it streamed (tool calls are not drawn here:
        show them with `tool_call`).

        Args:
            message: The assistant message.
            show_thinking: Show the reasoning in full rather than as a one-line summary.
            number: The reply's number for `/thinking N`, shown in the summary and the footer.
        """
        if thinking_lines(message.thinking):
            if show_thinking:
                self.print(header())
                self.print(Ruled(message.thinking))
            else:
                self.print(stored_summary_line(message.thinking, number, message.stats))
        from termchat.render.markdown import SafeMarkdown

        content = sanitize(message.content)
        if content.strip():
            self.print(SafeMarkdown(content, code_theme=self.code_theme, code_start=1))
        if message.interrupted:
            self.interrupted_marker()
        if message.error:
            self.error(message.error)
        self.footer(message.model, message.stats, None, number)

    def thinking_full(self, text: str) -> None:
        """All of some reasoning, left-ruled (for `/thinking`)."""
        self.print(header())
        self.print(Ruled(text))

    def markdown(self, text: str, *, number_code: bool = False) -> None:
        """Untrusted Markdown, rendered once; `number_code` numbers its code blocks as a
        reply's are (for `/copy code N`)."""
        from termchat.render.markdown import SafeMarkdown

        start = 1 if number_code else 0
        self.print(SafeMarkdown(sanitize(text), code_theme=self.code_theme, code_start=start))

    def live_reply(
        self,
        model: str,
        *,
        show_thinking: bool,
        number: int | None = None,
        clock: Callable[[], float] | None = None,
    ) -> LiveReply:
        """Start drawing a streaming reply (see `LiveReply`); `number` is the reply's number
        in the conversation (for `/thinking N`), `clock` is for tests.

        With TERMCHAT_FRAME_LOG set, the reply's frames are logged there (see `framelog`).
        """
        from termchat.render.live import LiveReply

        return LiveReply(
            self.console,
            name_text(model),  # a server's word: for the spinner and the footer
            show_thinking=show_thinking,
            code_theme=self.code_theme,
            clock=clock or time.monotonic,
            frame_log=FrameLog.from_env(),
            number=number,
            toggle_key=self.toggle_key,
        )

    def pull_progress(self) -> PullDisplay:
        """Start drawing a model download (see `PullDisplay`); `close` it when it ends."""
        from termchat.render.pull import PullDisplay

        return PullDisplay(self.console, self.print)

    # --- tables and panels ---------------------------------------------------------------

    def stats_table(self, model: str | None, stats: Stats | None) -> None:
        """Every timing figure of the last reply (for `/stats`)."""
        from rich import box
        from rich.table import Table

        table = Table(box=box.SIMPLE, show_header=False, pad_edge=False)
        table.add_column(style="termchat.footer")
        table.add_column(justify="right")
        for name, value in stats_rows(model, stats):
            table.add_row(Text(name), Text(value))
        self.print(table)

    def search_match(self, label: str, snippet: str, start: str, end: str) -> None:
        """Where a search matched: `label`, then the snippet whose words between `start` and
        `end` are highlighted (`termchat.search.match`)."""
        from termchat.render.search import snippet_text

        line = Text(one_line(label) + " ", style="termchat.notice")
        self.print(line.append_text(snippet_text(snippet, start, end)))

    def table(
        self,
        title: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        whole: Sequence[str] = (),
    ) -> None:
        """A table whose every cell is untrusted text; the cells of the `whole` columns (names
        to read and copy) are not wrapped while they fit a third of the width, the other columns
        wrap to make room."""
        from rich import box
        from rich.table import Table

        headed = any(columns)  # a table of name/value pairs has no header row to draw
        table = Table(
            title=Text(one_line(title)),
            box=box.SIMPLE_HEAD if headed else None,
            show_header=headed,
            title_justify="left",
        )
        third = max(self.console.width // 3, 20)
        for column in columns:
            # A long cell wraps onto more rows rather than being cut off with an ellipsis.
            kept = column in whole
            table.add_column(
                Text(one_line(column)),
                overflow="fold",
                no_wrap=kept,
                max_width=third if kept else None,
            )
        for row in rows:
            table.add_row(*(Text(sanitize("" if cell is None else str(cell))) for cell in row))
        self.print(table)

    def tool_call(self, name: str, arguments: dict[str, Any]) -> None:
        """The model's request to run a tool, arguments shown exactly (control characters
        made visible, never removed)."""
        from rich import box
        from rich.panel import Panel

        args = json.dumps(arguments, indent=2, ensure_ascii=False, default=str)
        self.print(
            Panel(
                Text(escape_for_display(args, multiline=True), style="termchat.tool.args"),
                title=Text(f"⚙ {escape_for_display(name)}", style="termchat.tool.title"),
                title_align="left",
                border_style="termchat.tool.title",
                box=box.ROUNDED,
            )
        )

    def tool_result(self, message: Message) -> None:
        """A tool's result (a role=tool message), live or in a resumed conversation alike:
        sanitized, and shortened here and only here, saying how much is not shown."""
        from rich import box
        from rich.panel import Panel

        if message.interrupted:
            self.interrupted_marker()
            return
        error = message.error is not None
        # A listing of files can hold names made to look like others: their invisible
        # characters are shown.
        shown, note = shorten(show_hidden(sanitize(message.content)).rstrip("\n"))
        body = Text(shown, style="termchat.tool.error" if error else "termchat.tool.result")
        name = escape_for_display(message.tool_name or "tool")
        title = f"{'✗' if error else '↳'} {name}{' failed' if error else ''}"
        self.print(
            Panel(
                body,
                title=Text(title, style="termchat.tool.error" if error else "termchat.tool.title"),
                title_align="left",
                subtitle=Text(note, style="termchat.footer") if note else None,
                subtitle_align="left",
                border_style="termchat.tool.error" if error else "termchat.footer",
                box=box.ROUNDED,
            )
        )


def shorten(
    text: str, *, max_lines: int = TOOL_OUTPUT_LINES, max_chars: int = TOOL_OUTPUT_CHARS
) -> tuple[str, str | None]:
    """At most `max_lines` lines and `max_chars` characters of `text`, and a note saying how
    much was left out (None when nothing was).

    The note counts the lines not shown at all; when every line shows but one was cut short
    (marked `…`), it counts the characters left out.
    """
    lines = text.split("\n")
    out = "\n".join(lines[:max_lines])
    if len(out) > max_chars:
        out = out[:max_chars] + "…"
    if out == text:
        return text, None
    hidden_lines = len(lines) - len(out.split("\n"))
    if hidden_lines:
        hidden = _count(hidden_lines, "line")
    else:
        hidden = _count(len(text) - len(out) + 1, "character")  # the `…` is not the text's
    return out, f"… {hidden} (the model gets all of it)"


def _count(number: int, noun: str) -> str:
    return f"{number} more {noun}{'' if number == 1 else 's'}"
