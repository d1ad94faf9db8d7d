"""The conversation picker of `/resume` and `termchat --resume`.

A filter line over a list of saved conversations, the newest chosen; Enter opens, Escape
cancels.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from prompt_toolkit import print_formatted_text
from prompt_toolkit.application import Application
from prompt_toolkit.application.current import get_app
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout import HSplit, Layout, VSplit, Window
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.output import Output
from prompt_toolkit.styles import BaseStyle

from termchat.errors import TermchatError
from termchat.render.sanitize import one_line, short_name
from termchat.repl.cells import cells, pad

if TYPE_CHECKING:
    from termchat.store import SessionSummary

Finder = Callable[[str | None, int], "list[SessionSummary]"]
"""Saved conversations matching a query (None: all), newest first, at most N."""

LABEL = "Resume (type to filter): "
HINT = "↑↓ choose · Enter open · Esc cancel"
FETCH = 100
"""Conversations listed at most (the filter finds older ones)."""
VISIBLE = 10
"""Rows shown at once (fewer on a short terminal); the list scrolls."""
MIN_TITLE = 12
"""Below this many cells for the title, the date is shortened, then the model left out."""
MODEL_WIDTH = 16
"""The model column's widest (short names: `Qwen3-30B-A3B-In…`)."""


def when(timestamp: float, *, short: bool = False, now: float | None = None) -> str:
    """`Mar 05 14:03` this year, `2024-03-05` before (twelve cells); short: `Mar 05` or
    `2024` (six cells)."""
    moment = time.localtime(timestamp)
    this_year = moment.tm_year == time.localtime(now).tm_year
    if short:
        return time.strftime("%b %d" if this_year else "%Y", moment).ljust(6)
    return time.strftime("%b %d %H:%M" if this_year else "%Y-%m-%d", moment).ljust(12)


def count(messages: int) -> str:
    """`1 msg`, `12 msgs`."""
    return f"{messages} msg" if messages == 1 else f"{messages} msgs"


def entry_lines(rows: list[SessionSummary], width: int) -> list[str]:
    """One line per conversation, in columns, to follow a two-cell marker in `width - 1` cells:
    date, title, model, message count. When the width is short the date loses its time, then
    the model column goes."""
    if not rows:
        return []
    counts = [count(row.messages) for row in rows]
    titles = [one_line(row.title) or "untitled" for row in rows]
    models = [short_name(row.model) for row in rows]
    count_width = max(cells(text) for text in counts)
    model_width = min(max(cells(model) for model in models), MODEL_WIDTH)
    longest = max(MIN_TITLE, *(cells(title) for title in titles))
    short, room = False, 0
    for short, shown in ((False, True), (True, True), (True, False)):
        date_width = 6 if short else 12
        room = width - (2 + date_width + 2 + 2 + count_width + 1)  # marker, gaps, last cell
        room -= model_width + 2 if shown else 0
        if room >= MIN_TITLE or not shown:
            model_width = model_width if shown else 0
            break
    title_width = max(min(room, longest), 1)
    lines = []
    for row, title, model, number in zip(rows, titles, models, counts, strict=True):
        line = f"{when(row.updated_at, short=short)}  {pad(title, title_width)}  "
        if model_width:
            line += f"{pad(model, model_width)}  "
        lines.append(line + number.rjust(count_width))
    return lines


R = TypeVar("R")
Fragments = list[tuple[str, str]]


class ListState(Generic[R]):
    """A picker's rows, the chosen one, and the first one shown (scrolled to keep the chosen
    one in sight); `problem` stands in for the rows when listing failed."""

    def __init__(self) -> None:
        self.rows: list[R] = []
        self.chosen = 0
        self.top = 0
        self.problem: str | None = None

    def move(self, step: int) -> None:
        """Choose another row (Up/Down); `shown` scrolls the list to keep it in sight."""
        if self.rows:
            self.chosen = max(0, min(len(self.rows) - 1, self.chosen + step))

    def visible(self) -> int:
        """How many rows to show: at most VISIBLE, leaving room for the filter line and the
        hint on a short terminal."""
        rows = get_app().output.get_size().rows
        return max(1, min(VISIBLE, rows - 4, len(self.rows) or 1))

    def shown(self, empty: str) -> range | FormattedText:
        """The indexes of the rows to draw, scrolled so that the chosen one is in sight; or
        the one line that stands for a failed or (`empty`) list."""
        if self.problem:
            return FormattedText([("class:picker.problem", f"  {one_line(self.problem)}")])
        if not self.rows:
            return FormattedText([("class:picker.hint", f"  {empty}")])
        height = self.visible()
        if self.chosen < self.top:
            self.top = self.chosen
        elif self.chosen >= self.top + height:
            self.top = self.chosen - height + 1
        return range(self.top, min(self.top + height, len(self.rows)))

    def draw(self, shown: range, line: Callable[[int, str], Fragments]) -> FormattedText:
        """The rows `shown`, one a line, each after its mark (`❯` for the chosen one, which
        is drawn in `picker.chosen`); `line(index, style)` draws a row in that style."""
        out: Fragments = []
        for index in shown:
            if index > shown.start:
                out.append(("", "\n"))
            style = "class:picker.chosen" if index == self.chosen else ""
            out.append((style, "❯ " if style else "  "))
            out.extend(line(index, style))
        return FormattedText(out)


class SessionPicker(ListState["SessionSummary"]):
    """The picker's state: the filter, the matching conversations and the chosen one.

    Args:
        find: The saved conversations matching a filter.
        exclude: The id of the conversation open now (not offered).
    """

    def __init__(self, find: Finder, exclude: str | None) -> None:
        super().__init__()
        self.find = find
        self.exclude = exclude
        self.query = Buffer(multiline=False, on_text_changed=lambda _: self.refresh())

    def refresh(self) -> None:
        """List the conversations matching the filter; the newest is chosen.

        Raises:
            TermchatError: the first listing failed (later ones show the problem instead).
        """
        query = self.query.text.strip() or None
        try:
            rows = self.find(query, FETCH + 1)
        except TermchatError as exc:
            if query is None:
                raise
            rows, self.problem = [], str(exc)
        else:
            self.problem = None
        self.rows = [row for row in rows if row.id != self.exclude][:FETCH]
        self.chosen = self.top = 0

    def entries(self) -> FormattedText:
        """The list as shown: the chosen row marked and highlighted."""
        shown = self.shown("no conversation matches")
        if isinstance(shown, FormattedText):
            return shown
        width = get_app().output.get_size().columns
        lines = entry_lines([self.rows[index] for index in shown], width)
        return self.draw(shown, lambda index, style: [(style, lines[index - shown.start])])

    def chosen_id(self) -> str | None:
        """The id of the chosen conversation, if any is listed."""
        return self.rows[self.chosen].id if self.rows else None


class Picker(Protocol):
    """What `run_picker` shows and moves: a filter line, a list and the chosen row."""

    query: Buffer

    def move(self, step: int) -> None: ...
    def visible(self) -> int: ...
    def entries(self) -> FormattedText: ...
    def chosen_id(self) -> str | None: ...


def _bindings(picker: Picker) -> KeyBindings:
    kb = KeyBindings()

    @kb.add("up")
    @kb.add("c-p")
    @kb.add("s-tab")
    def _up(event: KeyPressEvent) -> None:
        picker.move(-1)

    @kb.add("down")
    @kb.add("c-n")
    @kb.add("tab")
    def _down(event: KeyPressEvent) -> None:
        picker.move(1)

    @kb.add("pageup")
    def _page_up(event: KeyPressEvent) -> None:
        picker.move(-picker.visible())

    @kb.add("pagedown")
    def _page_down(event: KeyPressEvent) -> None:
        picker.move(picker.visible())

    @kb.add("enter")
    def _open(event: KeyPressEvent) -> None:
        chosen = picker.chosen_id()
        if chosen is not None:
            event.app.exit(result=chosen)

    @kb.add("escape", eager=True)
    @kb.add("c-c")
    @kb.add("c-g")
    def _cancel(event: KeyPressEvent) -> None:
        event.app.exit(result=None)

    @kb.add("c-d")
    def _quit(event: KeyPressEvent) -> None:
        if not picker.query.text:
            event.app.exit(result=None)
        else:
            picker.query.delete()

    return kb


async def pick_session(
    find: Finder,
    *,
    exclude: str | None,
    style: BaseStyle,
    inp: Input | None = None,
    output: Output | None = None,
) -> str | None:
    """Let the user pick a saved conversation; its id, or None (said on screen) when there
    is none to pick or the user cancelled.

    Args:
        find: The saved conversations matching a filter, newest first.
        exclude: The id of the conversation open now, left out of the list.
        style: The REPL's style.
        inp: The terminal's input (default: prompt_toolkit's).
        output: The terminal's output (default: prompt_toolkit's).

    Raises:
        TermchatError: the saved conversations could not be listed.
    """
    picker = SessionPicker(find, exclude)
    picker.refresh()
    if not picker.rows:
        other = " other" if exclude else ""
        print_formatted_text(f"No{other} saved conversation to resume.", output=output)
        return None
    chosen = await run_picker(picker, LABEL, HINT, style=style, inp=inp, output=output)
    if chosen is None:
        print_formatted_text("Nothing resumed.", output=output)
    return chosen


async def run_picker(
    picker: Picker,
    label_text: str,
    hint: str,
    *,
    style: BaseStyle,
    inp: Input | None = None,
    output: Output | None = None,
) -> str | None:
    """Show `picker` (its filter line after `label_text`, its list, `hint`) until the user
    opens a row (its id) or cancels (None)."""
    label = Window(
        FormattedTextControl(FormattedText([("class:prompt", label_text)])),
        width=cells(label_text),
        height=1,
        dont_extend_width=True,
    )
    layout = Layout(
        HSplit(
            [
                VSplit([label, Window(BufferControl(picker.query), height=1)]),
                Window(
                    FormattedTextControl(picker.entries),
                    height=lambda: Dimension.exact(picker.visible()),
                ),
                Window(FormattedTextControl(FormattedText([("class:picker.hint", hint)]))),
            ]
        ),
        focused_element=picker.query,
    )
    app: Application[str | None] = Application(
        layout=layout,
        key_bindings=_bindings(picker),
        style=style,
        erase_when_done=True,
        input=inp,
        output=output,
    )
    return await app.run_async()
