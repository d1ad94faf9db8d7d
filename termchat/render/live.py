"""The live view of a streaming reply: finished parts print once, the rest is redrawn."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from rich.console import Console, RenderableType
from rich.text import Text

from termchat.accumulator import Reply
from termchat.render.blocks import BlockSplitter
from termchat.render.code import FenceStream
from termchat.render.framelog import FrameLog
from termchat.render.growing import GrowingBlock
from termchat.render.indent import dedent
from termchat.render.markdown import BlockPrinter
from termchat.render.padded import Padded
from termchat.render.parts import error_text, footer_text, interrupted_text
from termchat.render.pieces import Piece
from termchat.render.region import MARGIN, LiveRegion
from termchat.render.sanitize import sanitize
from termchat.render.styles import CodeTheme
from termchat.render.thinking import (
    SPINNER,
    Row,
    Rows,
    ThinkingStream,
    spinner_line,
    summary_line,
)

_FENCE_OPENER = re.compile(" {0,3}(?:```|~~~)")


class LiveReply:
    """Draws one streaming reply (see README.md, "How the code is laid out" and "Performance").

    The network reader calls `update` (cheap: it only notes the reply); a timer calls `refresh`
    about every 50 ms, which draws one frame if anything changed; `finish` prints the rest and
    the footer; `stop` restores the cursor and is safe to call any number of times.

    On a terminal each frame is one write wrapped in synchronized-update: move to the top of
    the previous live region and erase it, print what became final (the reasoning once it
    ended, finished Markdown blocks, finished code lines), then draw the new live region (the
    reasoning so far — its last rows, if it is taller than the terminal — or the collapsed
    spinner, then the unfinished Markdown tail), cropped to the terminal's height. Reasoning
    stays live until it ends so that Ctrl-T folds all of it: nothing of it is left above the
    one-line summary. Without a terminal there is no live region: finished parts are printed
    in order, so the output is the same text.

    Args:
        console: Where to draw.
        model: Model name, for the footer.
        show_thinking: Start with the reasoning expanded.
        code_theme: Pygments theme for code blocks.
        clock: Monotonic seconds (tests pass a fake one).
        frame_log: Where to note each frame's timing (see `framelog`), or None.
        number: The reply's number in the conversation, for `/thinking N` hints and the footer.
    """

    def __init__(
        self,
        console: Console,
        model: str,
        *,
        show_thinking: bool,
        code_theme: CodeTheme = "monokai",
        clock: Callable[[], float] = time.monotonic,
        frame_log: FrameLog | None = None,
        number: int | None = None,
        toggle_key: str = "^T",
    ) -> None:
        self.console = console
        self._toggle_key = toggle_key  # the key that shows/hides reasoning, for the hints
        self._frame_log = frame_log
        self.model = model
        self._number = number
        self._show = show_thinking
        self._show_settled: bool | None = None  # `_show` once it no longer changes this reply
        self._had_thinking = False
        self._code_theme = code_theme
        self._clock = clock
        self._start = clock()
        self._region = LiveRegion(console)
        self._reply: Reply | None = None
        # reasoning
        self._thinking = ThinkingStream()
        self._think_start: float | None = None
        self._think_end: float | None = None
        self._thinking_closed = False
        # answer
        self._splitter = BlockSplitter()
        self._printer = BlockPrinter(code_theme, self._splitter.references, number_code=True)
        self._consumed = 0
        self._raw_line = ""  # the answer's line in progress, not yet sanitized
        self._fence: FenceStream | None = None
        self._preview_key: tuple[str, bool, int] | None = None  # what `_preview` shows
        self._preview: list[Row] = []
        self._growing = GrowingBlock()  # the tail, when a long paragraph or quote
        # terminal
        self._key: tuple[object, ...] | None = None
        self._finished = False
        self._stopped = False
        self._waiting: float | None = None  # seconds the stream has been silent, once shown

    # --- the REPL's calls ----------------------------------------------------------------

    def update(self, reply: Reply) -> None:
        """Note the reply so far; drawing happens in `refresh`."""
        self._reply = reply
        if self._think_start is None:
            if reply.thinking_length:
                self._think_start = self._clock()
        elif self._think_end is None and (reply.content_length or reply.tool_calls):
            self._think_end = self._clock()

    def set_show_thinking(self, show: bool) -> None:
        """Expand or collapse the reasoning; takes effect on the next frame."""
        self._show = show

    def set_waiting(self, seconds: float | None) -> None:
        """The stream has been silent `seconds` (None: it is not): a last live row says
        "waiting for the server · 12 s" from the next frame on."""
        self._waiting = seconds

    def refresh(self) -> None:
        """Draw one frame; does nothing if nothing changed since the last one."""
        if self._stopped or self._finished:
            return
        began = self._frame_log.now() if self._frame_log is not None else 0.0
        key = self._state_key()
        if key == self._key:
            if self._frame_log is not None:
                self._frame_log.record(began, self._consumed, 0)
            return
        self._key = key
        scroll, live = self._step(final=False)
        if self._waiting is not None and self._region.live:
            line = f"waiting for the server · {int(self._waiting)} s"
            live = [*live, *self._rows(Text(line, style="termchat.footer"))]
        written = self._region.draw(scroll, live)
        if self._frame_log is not None:
            self._frame_log.record(began, self._consumed, written)

    def finish(self, reply: Reply, *, interrupted: bool = False, error: str | None = None) -> None:
        """Print everything still live, the markers, and the footer; then `stop`.

        Args:
            reply: The final reply.
            interrupted: Show `[interrupted]` under the partial reply.
            error: A server or stream error to show under it (sanitized here).
        """
        if self._finished or self._stopped:
            return
        self.update(reply)
        began = self._frame_log.now() if self._frame_log is not None else 0.0
        scroll, _ = self._step(final=True)
        if interrupted:
            scroll.append(interrupted_text())
        if error:
            scroll.append(error_text(error))
        elapsed = self._clock() - self._start
        scroll.append(footer_text(self.model, reply.figures(), elapsed, self._number))
        written = self._region.draw(scroll, [])
        if self._frame_log is not None:
            self._frame_log.record(began, self._consumed, written)
        self._finished = True
        self.stop()

    def stop(self) -> None:
        """Give the terminal back: clear the live region, show the cursor. Idempotent.

        After `finish` the live region is already gone; without it (nothing arrived, or an
        error the REPL reports itself) whatever was live is transient and is erased.
        """
        if self._stopped:
            return
        self._stopped = True
        if self._frame_log is not None:
            self._frame_log.close()
        self._region.close()

    # --- one frame -----------------------------------------------------------------------

    def _state_key(self) -> tuple[object, ...]:
        reply = self._reply
        ticking = self._region.live and (
            (reply is None or not (reply.thinking_length or reply.content_length))
            or (not self._show and not self._thinking_closed and self._think_start is not None)
        )
        tick = int((self._clock() - self._start) * 10) if ticking else None
        lengths = (
            (reply.thinking_length, reply.content_length, len(reply.tool_calls))
            if reply is not None
            else None
        )
        waiting = None if self._waiting is None else int(self._waiting)
        return (lengths, self._show, tuple(self.console.size), tick, waiting)

    def _step(self, *, final: bool) -> tuple[list[RenderableType], list[Row]]:
        """Advance the reasoning and the answer; what to print and what to keep live."""
        scroll: list[RenderableType] = []
        live: list[Row] = []
        reply = self._reply
        if reply is None:
            if self._region.live:
                live = self._rows(self._waiting_line())
            return scroll, live
        live += self._step_thinking(reply, scroll, final=final)
        live += self._step_answer(reply, scroll, final=final)
        nothing_yet = not (reply.thinking_length or reply.content_length or reply.tool_calls)
        if nothing_yet and self._region.live and not final:
            live = self._rows(self._waiting_line())
        elif self._region.live and not final:
            if self._show_settled is None and (reply.content_length or reply.tool_calls):
                self._show_settled = self._show  # an answer without reasoning
            if self._show_settled is not None and self._show != self._show_settled:
                live += self._rows(self._toggle_note())
        return scroll, live

    def _toggle_note(self) -> Text:
        """What Ctrl-T did once this reply's reasoning was over: it changes the next reply."""
        shown = "shown" if self._show else "hidden"
        note = f"{self._toggle_key}: reasoning will be {shown} from the next reply"
        if self._show and self._had_thinking:
            number = f" {self._number}" if self._number is not None else ""
            note += f" · /thinking{number} shows this one's"
        return Text(note, style="termchat.notice")

    def _step_thinking(
        self, reply: Reply, scroll: list[RenderableType], *, final: bool
    ) -> list[Row]:
        if self._thinking_closed or not reply.thinking_length:
            return []
        stream = self._thinking
        stream.take(reply.thinking)
        over = final or bool(reply.content_length or reply.tool_calls)
        if over:
            stream.end()
        if not stream.has_text:  # nothing but blank lines so far
            self._thinking_closed = over
            return []
        if over:
            self._thinking_closed = True
            self._had_thinking = True
            self._show_settled = self._show
            if self._show:
                scroll.extend(stream.printable(self.console))
            else:
                seconds = self._thinking_seconds()
                scroll.append(summary_line(seconds, reply.thinking_tokens, self._number))
            return []
        if not self._region.live:
            if self._show:
                scroll.extend(stream.printable(self.console))
            return []
        if not self._show:
            return self._rows(
                spinner_line(self._thinking_seconds(), reply.thinking_tokens, self._toggle_key)
            )
        return stream.live_rows(self.console, max(1, self.console.size.height - MARGIN))

    def _thinking_seconds(self) -> float:
        start = self._think_start if self._think_start is not None else self._start
        end = self._think_end if self._think_end is not None else self._clock()
        return max(0.0, end - start)

    def _step_answer(self, reply: Reply, scroll: list[RenderableType], *, final: bool) -> list[Row]:
        splitter = self._splitter
        if reply.content_length > self._consumed:
            content = reply.content
            text = self._raw_line + content[self._consumed :]
            self._consumed = len(content)
            cut = text.rfind("\n") + 1
            self._raw_line = text[cut:]
            if cut:
                scroll.extend(self._blocks(splitter.feed(sanitize(text[:cut]))))
        if final:
            blocks = splitter.feed(sanitize(self._raw_line)) + splitter.finish()
            self._raw_line = ""
            scroll.extend(self._blocks(blocks))
            return []
        if not self._region.live:
            return []
        partial = sanitize(self._raw_line)
        scroll.extend(self._blocks(splitter.feed_partial(partial)))
        fence = splitter.open_fence
        if fence is not None:
            # in a list item, the block is drawn narrower, below the item's padding
            part = splitter.tail_part if fence.column else None
            if self._fence is None:
                inset = part.inset if part is not None else 0
                number = self._printer.codes + 1
                self._fence = FenceStream(fence, self._code_theme, number, inset)
            first = self._fence.printed == 0
            if fence.closing(partial):
                partial = ""  # the block ends with this line: it is not code
            ends_item = part is not None and dedent(partial, part.column) is None
            content = "" if ends_item else fence.content(partial)
            printed, rows = self._fence.step(self.console, fence, content)
            if part is not None:
                if printed is not None:
                    scroll.append(Padded(printed, part))
                if ends_item:  # a line further out ends the item, and the block with it
                    text = splitter.tail + partial
                    return self._rows(
                        self._printer.preview_after(text, part, self._fence.rows_printed)
                    )
                return self._rows(Padded(Rows(rows), part)) if rows else []
            if printed is not None:
                if first:
                    scroll.extend(self._printer.separator_before_leaf())
                scroll.append(printed)
            elif first:  # the blank line above the block, printed with its first line
                rows = self._rows(*self._printer.separator_before_leaf()) + rows
            return rows
        if _FENCE_OPENER.match(partial) or splitter.tail_is_table:
            partial = ""  # a fence's language is still arriving; a table's row shows whole
        tail = splitter.tail + partial
        if not tail.strip():
            return []
        key = (tail, self._printer.separator_due, self.console.width)
        if key != self._preview_key:  # a table's rows: only when one is complete
            self._preview_key = key
            growing = splitter.growing_with(partial)
            if growing is not None:
                self._preview = self._growing.rows(
                    self.console, self._printer, tail, growing == "quote"
                )
            else:
                self._preview = self._rows(*self._printer.preview(tail, splitter.tail_part))
        return self._preview

    def _blocks(self, pieces: list[Piece]) -> list[RenderableType]:
        """Renderables for finished pieces; completes a code block already partly printed."""
        out: list[RenderableType] = []
        for piece in pieces:
            stream, self._fence = self._fence, None
            if stream is None or not stream.printed:
                out.extend(self._printer.piece(piece))
            else:
                out.extend(self._fence_rest(stream, piece))
        return out

    def _fence_rest(self, stream: FenceStream, piece: Piece) -> list[RenderableType]:
        """The rest of a code block partly printed line by line, and what follows it in the
        piece. In a list item (a piece with a `Part`), the item's indent is taken off, as the
        printer reads such a piece, and the block's rows go below the item's padding."""
        part = piece.part
        self._printer.note_leaf()  # as printing any leaf block, or nested piece, does
        body = dedent(piece.text, part.column) if part is not None else piece.text
        tokens = self._printer.markdown(body).parsed if body is not None else []
        fence = tokens[0] if tokens and tokens[0].type == "fence" else None
        if body is None or fence is None or fence.map is None:
            # not read alone: drawn with the item's lines, its rows printed already left out
            # (a top-level piece starts with its fence: the splitter cuts it there)
            assert part is not None
            return [self._printer.rest_after(piece, stream.rows_printed)]
        printed = stream.print_rest(self.console, fence.content.rstrip().split("\n"))
        out: list[RenderableType] = [printed if part is None else Padded(printed, part)]
        self._printer.note_code()
        end = fence.map[1]
        if "".join(body.splitlines(keepends=True)[end:]).strip():
            rest = "".join(piece.text.splitlines(keepends=True)[end:])
            out.extend(self._printer.piece(Piece(rest, part)))
        return out

    def _waiting_line(self) -> Text:
        elapsed = self._clock() - self._start
        frame = SPINNER[int(elapsed * 10) % len(SPINNER)]
        return Text(f"{frame} {self.model} {elapsed:.1f} s", style="termchat.footer")

    def _rows(self, *renderables: RenderableType) -> list[Row]:
        console = self.console
        options = console.options.update(height=None)
        rows: list[Row] = []
        for renderable in renderables:
            rows.extend(console.render_lines(renderable, options, pad=False))
        return rows
