"""Assembles stream events into the reply so far; splits `<think>` tags out of content."""

from __future__ import annotations

from dataclasses import replace

from termchat.messages import (
    ContentDelta,
    Done,
    Event,
    Message,
    Stats,
    StreamError,
    ThinkingDelta,
    ToolCall,
    ToolCalls,
)

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


class ThinkSplitter:
    """Separates a leading `<think>…</think>` block from answer text arriving in pieces.

    As in Ollama's own parser, the tag counts only at the start of the content (after
    whitespace): once answer text has begun, a literal `<think>` is just text. `feed` returns
    (is_thinking, text) pieces in order; a possible tag prefix is held back until the next piece
    (or `flush`) decides it.
    """

    def __init__(self) -> None:
        self._thinking = False
        self._answer_started = False
        self._pending = ""
        self.seen_tag = False

    @property
    def active(self) -> bool:
        """False once the answer has started: from then on, text passes straight through."""
        return not self._answer_started or self._thinking

    @property
    def reasoning(self) -> bool:
        """True inside `<think>…</think>`."""
        return self._thinking

    def feed(self, text: str) -> list[tuple[bool, str]]:
        """Split one piece of content into reasoning and answer parts."""
        if not self.active:
            return [(False, text)] if text else []
        text, self._pending = self._pending + text, ""
        out: list[tuple[bool, str]] = []
        while text:
            if self._thinking:
                pos = text.find(CLOSE_TAG)
                if pos >= 0:
                    if pos:
                        out.append((True, text[:pos]))
                    text = text[pos + len(CLOSE_TAG) :]
                    self._thinking = False
                    self._answer_started = True
                    continue
                keep = _tag_prefix_len(text, CLOSE_TAG)
                if len(text) > keep:
                    out.append((True, text[: len(text) - keep]))
                self._pending = text[len(text) - keep :] if keep else ""
                break
            if self._answer_started:
                out.append((False, text))
                break
            stripped = text.lstrip()
            if stripped.startswith(OPEN_TAG):
                text = stripped[len(OPEN_TAG) :]  # whitespace before the tag is dropped
                self._thinking = True
                self.seen_tag = True
                continue
            if OPEN_TAG.startswith(stripped):  # only whitespace, or the start of the tag
                self._pending = text
                break
            self._answer_started = True
            out.append((False, text))
            break
        return out

    def flush(self) -> list[tuple[bool, str]]:
        """Release any held-back text at the end of the stream."""
        pending, self._pending = self._pending, ""
        return [(self._thinking, pending)] if pending else []


def _tag_prefix_len(text: str, tag: str) -> int:
    """Length of the longest suffix of `text` that is a proper prefix of `tag`."""
    start = text.rfind("<", max(0, len(text) - len(tag) + 1))
    while start >= 0:
        suffix = text[start:]
        if tag.startswith(suffix):
            return len(suffix)
        start = text.find("<", start + 1)
    return 0


class Reply:
    """The reply so far: a pure accumulator fed with stream events.

    Text is kept as lists of parts and joined on demand, so feeding stays O(1) per event.

    `thinking_tokens` and `content_tokens` count the stream pieces of each kind (a model
    streams about one token per piece); a `<think>` piece of the content counts as reasoning.
    `figures` turns them into the counted estimates of `Stats`.
    """

    def __init__(self, model: str | None = None) -> None:
        self.model = model
        self._thinking: list[str] = []
        self._content: list[str] = []
        self._thinking_len = 0
        self._content_len = 0
        self.tool_calls: list[ToolCall] = []
        self.stats: Stats | None = None
        self.error: str | None = None
        self.done = False
        self.interrupted = False
        self.thinking_tokens = 0
        self.content_tokens = 0
        self._undecided = 0  # content pieces before the splitter knew: whitespace, `<thi`…
        self._splitter = ThinkSplitter()
        self._clock: list[float | None] = [None, None, None, None]  # sent, first, answer, last

    # --- reading -------------------------------------------------------------------------

    @property
    def thinking(self) -> str:
        """All reasoning received so far."""
        if len(self._thinking) > 1:
            self._thinking = ["".join(self._thinking)]
        return self._thinking[0] if self._thinking else ""

    @property
    def content(self) -> str:
        """All answer text received so far (never containing `<think>` reasoning)."""
        if len(self._content) > 1:
            self._content = ["".join(self._content)]
        return self._content[0] if self._content else ""

    @property
    def thinking_length(self) -> int:
        """Characters of reasoning so far, without joining."""
        return self._thinking_len

    @property
    def content_length(self) -> int:
        """Characters of answer so far, without joining."""
        return self._content_len

    @property
    def finished(self) -> bool:
        """True once the stream ended, normally or not."""
        return self.done or self.error is not None or self.interrupted

    # --- feeding -------------------------------------------------------------------------

    def feed(self, event: Event) -> None:
        """Apply one stream event."""
        if isinstance(event, ContentDelta):
            text = event.text
            if not text:
                return
            splitter = self._splitter
            if not splitter.active:
                self.content_tokens += 1
                self._add(False, text)
                return
            before = splitter.reasoning
            parts = splitter.feed(text)
            for is_thinking, part in parts:
                self._add(is_thinking, part)
            if before or splitter.reasoning or any(t for t, _ in parts):
                self.thinking_tokens += 1 + self._undecided
                self._undecided = 0
            elif splitter.active:
                self._undecided += 1
            else:
                self.content_tokens += 1 + self._undecided
                self._undecided = 0
        elif isinstance(event, ThinkingDelta):
            if event.text:
                self.thinking_tokens += 1
                self._add(True, event.text)
        elif isinstance(event, ToolCalls):
            self.tool_calls.extend(event.calls)
        elif isinstance(event, Done):
            self._flush()
            self.stats = event.stats
            self.done = True
        elif isinstance(event, StreamError):
            self._flush()
            self.error = event.message

    def mark(self, now: float) -> None:
        """Note the time (seconds, any monotonic clock): first when the request is sent, then
        after each event fed; `figures` turns the marks into the split timing of `Stats`."""
        clock = self._clock
        if clock[0] is None:
            clock[0] = now
            return
        if clock[1] is None and (self.thinking_tokens or self.content_tokens):
            clock[1] = now
        if clock[2] is None and self.content_tokens:
            clock[2] = now
        clock[3] = now

    def _split_timing(self, stats: Stats) -> Stats:
        sent, first, answer, last = self._clock
        if sent is None or first is None or last is None:
            return stats
        return replace(
            stats,
            first_token=int((first - sent) * 1e9),
            thinking_duration=(
                int(((answer or last) - first) * 1e9) if self.thinking_tokens else None
            ),
            answer_duration=int((last - answer) * 1e9) if answer is not None else None,
        )

    def feed_all(self, events: list[Event]) -> Reply:
        """Apply several events; returns self for chaining in tests."""
        for event in events:
            self.feed(event)
        return self

    def interrupt(self) -> None:
        """Mark the reply as cut short by the user."""
        self._flush()
        self.interrupted = True

    def _flush(self) -> None:
        for is_thinking, part in self._splitter.flush():
            self._add(is_thinking, part)
        self.content_tokens += self._undecided
        self._undecided = 0

    def _add(self, is_thinking: bool, text: str) -> None:
        if is_thinking:
            self._thinking.append(text)
            self._thinking_len += len(text)
            return
        if not self._content and self._splitter.seen_tag:
            # Whitespace between `</think>` and the answer is not part of the answer.
            text = text.lstrip()
            if not text:
                return
        self._content.append(text)
        self._content_len += len(text)

    # --- result --------------------------------------------------------------------------

    def figures(self) -> Stats | None:
        """The server's figures (if any) with termchat's counts of the pieces (see `Stats`);
        None when there is neither."""
        total = self.thinking_tokens + self.content_tokens + self._undecided
        if self.stats is None and not total:
            return None
        counted = replace(
            self.stats or Stats(),
            counted_tokens=total or None,
            counted_thinking=self.thinking_tokens or None,
        )
        return self._split_timing(counted)

    def to_message(self) -> Message:
        """The ONE assistant message this reply becomes in the history."""
        return Message(
            role="assistant",
            content=self.content,
            thinking=self.thinking,
            tool_calls=list(self.tool_calls),
            model=self.model,
            stats=self.figures(),
            interrupted=self.interrupted or (self.error is not None and not self.done),
            error=self.error,
        )
