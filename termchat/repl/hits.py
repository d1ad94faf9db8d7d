"""The picker of `/search`: conversations whose messages match, each with its snippet (the
matched words highlighted); the filter line holds the words and searches again as they change."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from prompt_toolkit import print_formatted_text
from prompt_toolkit.application.current import get_app
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from prompt_toolkit.styles import BaseStyle

from termchat.errors import TermchatError
from termchat.render.sanitize import one_line, sanitize
from termchat.repl.cells import cells, clip, pad
from termchat.repl.picker import ListState, run_picker, when

if TYPE_CHECKING:
    from termchat.store import SearchHit

Search = Callable[[str, int], "list[SearchHit]"]
"""Conversations matching some words, best first, at most N (one hit each)."""

LABEL = "Search: "
HINT = "↑↓ choose · Enter open at the match · Esc cancel · type to change the words"
FETCH = 50
TITLE_WIDTH = 24
WHERE = {"user": "you: ", "assistant": "reply: ", "tool": "tool: ", "system": "system: "}


def snippet_fragments(
    snippet: str, room: int, start: str, end: str, style: str = ""
) -> list[tuple[str, str]]:
    """A snippet whose matches sit between `start` and `end` as at most `room` cells of
    fragments, the matches styled `picker.match`."""
    out: list[tuple[str, str]] = []
    rest = snippet
    matched = False
    while rest and room > 0:
        piece, found, rest = rest.partition(end if matched else start)
        text = clip(re.sub(r"\s+", " ", sanitize(piece)), room)
        if text:
            shown = f"{style} class:picker.match" if matched else style
            out.append((shown.strip(), text))
            room -= cells(text)
        if not found:
            break
        matched = not matched
    return out


class HitPicker(ListState["SearchHit"]):
    """The search picker's state: the words, the hits and the chosen one.

    Args:
        search: The search to run on the words.
        words: The words the user gave `/search`.
        start: The mark before a match in a snippet; `end`: after it.
    """

    def __init__(self, search: Search, words: str, start: str, end: str) -> None:
        super().__init__()
        self.search = search
        self.start, self.end = start, end
        self.failure: TermchatError | None = None
        self.query = Buffer(
            multiline=False,
            document=Document(words, len(words)),
            on_text_changed=lambda _: self.refresh(),
        )

    def refresh(self) -> None:
        """Search again for the words in the filter line; the best hit is chosen (a failure
        is shown in the list)."""
        try:
            self.rows = self.search(self.query.text, FETCH)
        except TermchatError as exc:
            self.rows, self.problem, self.failure = [], str(exc), exc
        else:
            self.problem = None
        self.chosen = self.top = 0

    def line(self, hit: SearchHit, width: int, style: str) -> list[tuple[str, str]]:
        """One hit: when, title, where it matched and the snippet, in `width` cells."""
        title = one_line(hit.session_title) or "untitled"
        title_width = min(TITLE_WIDTH, max(cells(title), 8), max(width // 3, 8))
        where = "reasoning: " if hit.field == "thinking" else WHERE.get(hit.role, "")
        head = f"{when(hit.created_at)}  {pad(title, title_width)}  {where}"
        room = width - cells(head) - 1
        if room < 8:  # a narrow terminal: the snippet matters more than the date
            head = f"{pad(title, title_width)}  "
            room = width - cells(head) - 1
        return [(style, head), *snippet_fragments(hit.snippet, room, self.start, self.end, style)]

    def entries(self) -> FormattedText:
        """The hits as shown: the chosen one marked and highlighted."""
        shown = self.shown("no conversation matches")
        if isinstance(shown, FormattedText):
            return shown
        width = get_app().output.get_size().columns - 2
        return self.draw(shown, lambda index, style: self.line(self.rows[index], width, style))

    def chosen_id(self) -> str | None:
        """The chosen hit's message row id, as text (None when nothing matches)."""
        return str(self.rows[self.chosen].row_id) if self.rows else None


async def pick_hit(
    search: Search,
    words: str,
    *,
    start: str,
    end: str,
    style: BaseStyle,
    inp: Input | None = None,
    output: Output | None = None,
) -> SearchHit | None:
    """Let the user pick a conversation that matches `words`; the chosen hit, or None (said
    on screen) when nothing matches or the user cancelled.

    Raises:
        TermchatError: the search failed.
    """
    picker = HitPicker(search, words, start, end)
    picker.refresh()
    if picker.failure is not None:
        raise picker.failure
    if not picker.rows:
        print_formatted_text(f"No saved conversation matches {one_line(words)!r}.", output=output)
        return None
    chosen = await run_picker(picker, LABEL, HINT, style=style, inp=inp, output=output)
    hit = next((row for row in picker.rows if str(row.row_id) == chosen), None)
    if hit is None:
        print_formatted_text("Nothing opened.", output=output)
    return hit
