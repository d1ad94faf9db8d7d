"""Output for pipes: plain answer text or JSON events, written as the reply streams."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, TextIO

from termchat.accumulator import Reply
from termchat.errors import stderr_line
from termchat.messages import Message
from termchat.render.sanitize import json_text, sanitize

if TYPE_CHECKING:
    from termchat.render.renderer import Renderer

# Characters that start a control sequence; a sequence never spans a newline (sanitize is
# line-local), so text before the first introducer on the current line is final.
_INTRODUCER = re.compile("[\x1b\x90\x98\x9b\x9d\x9e\x9f]")


class StreamSanitizer:
    """Sanitizes text that arrives in pieces: an escape sequence cut across pieces is held back
    until its line ends, so no part of it can slip through."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str) -> str:
        """Safe text for what arrived; may hold back a possible unfinished sequence."""
        text = self._held + text
        self._held = ""
        line_start = text.rfind("\n") + 1
        first = _INTRODUCER.search(text, line_start)
        if first is not None:  # from the first one: an open string sequence swallows later ones
            self._held = text[first.start() :]
            text = text[: first.start()]
        return sanitize(text)

    def flush(self) -> str:
        """Whatever was held back, sanitized."""
        held, self._held = self._held, ""
        return sanitize(held)


class PlainReply:
    """Streams the answer as plain text; reasoning to stderr only when asked."""

    def __init__(
        self, out: TextIO | None = None, err: TextIO | None = None, *, show_thinking: bool = False
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.show_thinking = show_thinking
        self._thinking_done = 0
        self._content_done = 0
        self._pending_thinking_newline = False
        self._thinking_clean = StreamSanitizer()
        self._content_clean = StreamSanitizer()

    def update(self, reply: Reply) -> None:
        """Write what arrived since the last call."""
        if self.show_thinking and reply.thinking_length > self._thinking_done:
            self.err.write(self._thinking_clean.feed(reply.thinking[self._thinking_done :]))
            self.err.flush()
            self._thinking_done = reply.thinking_length
            self._pending_thinking_newline = True
        if reply.content_length > self._content_done:
            if self._pending_thinking_newline:
                self.err.write("\n")
                self._pending_thinking_newline = False
            self.out.write(self._content_clean.feed(reply.content[self._content_done :]))
            self.out.flush()
            self._content_done = reply.content_length

    def refresh(self) -> None:
        """Nothing to redraw in a pipe."""

    def set_show_thinking(self, show: bool) -> None:
        """Keys are not read in a pipe; kept for the live-view interface."""

    def set_waiting(self, seconds: float | None) -> None:
        """A pipe shows no waiting line: its reader sees the text when it comes."""

    def finish(self, reply: Reply, *, interrupted: bool = False, error: str | None = None) -> None:
        """End the answer with a newline; errors go to stderr."""
        self.update(reply)
        if self.show_thinking:
            self.err.write(self._thinking_clean.flush())
        self.out.write(self._content_clean.flush())
        if self._pending_thinking_newline:
            self.err.write("\n")
        if self._content_done and not reply.content.endswith("\n"):
            self.out.write("\n")
        self.out.flush()
        if interrupted:
            self.err.write(stderr_line("interrupted", ""))
        if error:
            self.err.write(stderr_line(" ".join(sanitize(error).split())))
        self.err.flush()

    def stop(self) -> None:
        """Nothing to restore."""


class JsonReply:
    """Writes one JSON object per event to stdout, with the exact text."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._thinking_done = 0
        self._content_done = 0
        self._calls_done = 0

    def _emit(self, obj: dict[str, Any]) -> None:
        self.out.write(json_line(obj))

    def update(self, reply: Reply) -> None:
        """Emit the events that arrived since the last call."""
        if reply.thinking_length > self._thinking_done:
            self._emit({"type": "thinking", "text": reply.thinking[self._thinking_done :]})
            self._thinking_done = reply.thinking_length
        if reply.content_length > self._content_done:
            self._emit({"type": "content", "text": reply.content[self._content_done :]})
            self._content_done = reply.content_length
        for call in reply.tool_calls[self._calls_done :]:
            self._emit({"type": "tool_call", **call.to_dict()})
        self._calls_done = len(reply.tool_calls)
        self.out.flush()

    def refresh(self) -> None:
        """Nothing to redraw."""

    def set_show_thinking(self, show: bool) -> None:
        """Reasoning is always in the events."""

    def set_waiting(self, seconds: float | None) -> None:
        """No event for silence: the next event carries the time it came."""

    def finish(self, reply: Reply, *, interrupted: bool = False, error: str | None = None) -> None:
        """Emit the final `done` (or `error`) event."""
        self.update(reply)
        if error or interrupted:
            self._emit({"type": "error", "message": error or "interrupted", "interrupted": True})
        else:
            stats = reply.stats.to_dict() if reply.stats else {}
            tps = reply.stats.tokens_per_second if reply.stats else None
            self._emit(
                {"type": "done", "model": reply.model, "stats": stats, "tokens_per_second": tps}
            )
        self.out.flush()

    def stop(self) -> None:
        """Nothing to restore."""


class OneLineMessages:
    """For runs without a prompt: notices, warnings and errors as single lines on stderr, each
    `termchat: …`, `termchat: warning: …` or `termchat: error: …` (and, with --json, errors and
    tool results also as events on stdout); everything else goes to the renderer."""

    def __init__(
        self, renderer: Renderer, *, json_events: bool = False, err: TextIO | None = None
    ) -> None:
        self._renderer = renderer
        self._json = json_events
        self._err = err or sys.stderr

    def __getattr__(self, name: str) -> Any:
        return getattr(self._renderer, name)

    def _line(self, text: str, kind: str) -> None:
        self._err.write(stderr_line(" ".join(sanitize(text).split()), kind))
        self._err.flush()

    def notice(self, text: str) -> None:
        """An informational line on stderr."""
        self._line(text, "")

    def warning(self, text: str) -> None:
        """A warning line on stderr."""
        self._line(text, "warning")

    def error(self, text: str) -> None:
        """An error line on stderr (and a JSON `error` event with --json)."""
        self._line(text, "error")
        if self._json:
            self._event({"type": "error", "message": text})

    def tool_result(self, message: Message) -> None:
        """The result panel (on the renderer), and with --json a `tool_result` event carrying
        exactly what the model gets."""
        self._renderer.tool_result(message)
        if self._json and not message.interrupted:
            self._event(
                {
                    "type": "tool_result",
                    "name": message.tool_name,
                    "tool_call_id": message.tool_call_id,
                    "content": message.content,
                    "error": message.error is not None,
                }
            )

    @staticmethod
    def _event(obj: dict[str, Any]) -> None:
        sys.stdout.write(json_line(obj))
        sys.stdout.flush()


def json_line(obj: dict[str, Any]) -> str:
    """One `--json` event as its line: the exact text, with control, bidi and invisible
    characters as `\\uXXXX` escapes (see `json_text`), so a terminal shows the events as they
    are and a reader decodes the same strings."""
    return json_text(obj) + "\n"
