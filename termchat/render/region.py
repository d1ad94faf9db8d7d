"""The live region at the bottom of the terminal: each frame erases it and draws it anew, once."""

from __future__ import annotations

from rich.console import Console, RenderableType

from termchat.render.thinking import Row, RowTexts
from termchat.render.trim import ERASE_BELOW, Trimmed

SYNC_BEGIN = "\x1b[?2026h"
SYNC_END = "\x1b[?2026l"
HIDE_CURSOR = "\x1b[?25l"
SHOW_CURSOR = "\x1b[?25h"
MARGIN = 2  # rows of the terminal the live region leaves free


class LiveRegion:
    """The rows below what is printed for good, drawn again every frame (see `draw`).

    Without a terminal (`live` is False) there is no live region: what is printed goes out
    in order, and the live rows are not drawn.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal and not console.is_dumb_terminal
        self._text = ""  # the live rows drawn last, as written
        self._cells: list[int] = []  # their widths, to erase them
        self._row_texts = RowTexts()
        self._width = 0  # the terminal's width when they were drawn
        self._cursor_hidden = False

    def close(self) -> None:
        """Erase the live rows and show the cursor again, if anything was drawn."""
        if not self.live or not (self._cursor_hidden or self._cells):
            return
        width = self.console.size.width
        self._write(f"{SYNC_BEGIN}{self._erase(width)}{SHOW_CURSOR}{SYNC_END}")
        self._cursor_hidden = False
        self._cells = []
        self._text = ""

    def draw(self, scroll: list[RenderableType], live: list[Row]) -> int:
        """Write one frame, wrapped in synchronized update: erase the live rows drawn last,
        print `scroll` for good, then draw `live` (its last rows, if the terminal less
        MARGIN is not tall enough). How many characters were written (0: nothing changed)."""
        console = self.console
        if not self.live:
            for renderable in scroll:
                console.print(Trimmed(renderable))
            return 0
        width, height = console.size
        live = live[-max(1, height - MARGIN) :]
        scroll_text = self._capture([Trimmed(r) for r in scroll]) if scroll else ""
        live_text, cells = self._row_texts.text(console, live)
        if not scroll_text and live_text == self._text and width == self._width:
            return 0
        frame = [SYNC_BEGIN]
        if not self._cursor_hidden:
            frame.append(HIDE_CURSOR)
            self._cursor_hidden = True
        frame.append(self._erase(width))
        frame.append(scroll_text)
        frame.append(live_text)
        frame.append(SYNC_END)
        text = "".join(frame)
        self._write(text)
        self._text = live_text
        self._cells = cells
        self._width = width
        return len(text)

    def _erase(self, width: int) -> str:
        """Move to the top of the drawn live region and clear to the end of the screen."""
        if not self._cells:
            return ""
        if width < self._width:  # terminals that rewrap on resize made rows taller
            count = sum(max(1, -(-cells // width)) for cells in self._cells)
        else:
            count = len(self._cells)
        return f"\r\x1b[{count}A{ERASE_BELOW}"

    def _capture(self, renderables: list[RenderableType]) -> str:
        with self.console.capture() as capture:
            for renderable in renderables:
                self.console.print(renderable)
        return capture.get()

    def _write(self, text: str) -> None:
        file = self.console.file
        file.write(text)
        file.flush()
