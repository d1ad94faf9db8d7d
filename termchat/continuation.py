"""/continue: resuming a reply that was cut short so that it goes on as the same reply.

A reply can stop before its end: the user pressed Ctrl-C, the connection dropped, the server
stopped at a length limit (`done_reason` "length"), or termchat itself died (a resumed
conversation shows the reply as interrupted). The continuation is streamed into a `Reply` that
already holds the text so far, so the history and the store keep ONE message, completed (no
longer marked interrupted) when the continuation completes.

How the server is asked (see README, "Continuing a cut reply"):

- "prefill": the cut reply goes last in the request, as an assistant message, for the server to
  continue. Ollama's /api/chat does this by itself: its chat templates leave a trailing
  assistant message open (no end-of-turn token, no new assistant header), so the model goes on
  from its last token (ollama#6778; templates before mid-2024 ignored it, ollama#5775).
  OpenAI-compatible servers are asked with vLLM's extra fields `continue_final_message: true`
  and `add_generation_prompt: false` (also read by SGLang, Aphrodite and llama.cpp's server).
- "ask": the history as it is, then a user message asking the model to continue; the answer is
  joined to the text so far. For servers that do not know the extra fields.

`continue_mode = "auto"` (the default) prefills, and on an OpenAI-compatible server that rejects
the fields (400/422, as the OpenAI API does for unknown arguments) asks instead, remembering for
the rest of the session that this server has to be asked.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from termchat.accumulator import Reply
from termchat.backends.base import ChatRequest
from termchat.errors import CommandError, ServerError
from termchat.messages import ContentDelta, Event, Message, ThinkingDelta

Mode = Literal["prefill", "ask"]

ASK_TEXT: Final = (
    "Continue exactly where you stopped, without repeating anything you already wrote."
)
"""The user message of the "ask" mode (never kept in the history)."""

REFUSED_STATUSES: Final = (400, 422)  # how servers reject an argument they do not know


def cut_reply(messages: list[Message]) -> Message:
    """The reply /continue resumes: the last message, when it is a reply that stopped early.

    Raises:
        CommandError: there is nothing to continue, saying why.
    """
    if not messages:
        raise CommandError("Nothing to continue: there is no reply yet.")
    last = messages[-1]
    if last.role == "user":
        raise CommandError(
            "Nothing to continue: your last message has no reply yet (/retry sends it)."
        )
    if last.role != "assistant":
        raise CommandError(
            "Nothing to continue: the last reply ended with tool calls; send a message to go on."
        )
    if not (last.content or last.thinking):
        raise CommandError("Nothing to continue: the last reply is empty (/retry asks again).")
    length = last.stats is not None and last.stats.done_reason == "length"
    if not (last.interrupted or last.error or length):
        raise CommandError("Nothing to continue: the last reply is complete.")
    return last


def choose_mode(setting: str, backend: str, host: str, refused: set[str]) -> Mode:
    """How to ask `host` (a `backend` of that kind) to continue, given `continue_mode`."""
    if setting == "ask":
        return "ask"
    if setting == "auto" and backend != "ollama" and host in refused:
        return "ask"
    return "prefill"


@dataclass
class Continuation:
    """One /continue: the cut reply, the request that continues it, and how to join the text.

    Args:
        partial: The cut reply (the last message of the history).
        request: The request with `partial` last, as `Conversation.request(continuing=True)`
            builds it.
        mode: How the server is asked (see the module docstring).
        can_fall_back: On a refusal of the prefill fields, ask instead (continue_mode "auto"
            on an OpenAI-compatible server).
        refused: Hosts known to refuse the fields; a refusal adds `host`.
        host: The server asked.
        reasoning_sent: The server gets the reasoning back (Ollama): a reply cut inside it
            goes on reasoning. Elsewhere any new reasoning starts afresh, in a new paragraph.
    """

    partial: Message
    request: ChatRequest
    mode: Mode
    can_fall_back: bool = False
    refused: set[str] = field(default_factory=set)
    host: str = ""
    reasoning_sent: bool = True

    def __post_init__(self) -> None:
        if self.mode == "ask":
            self.request = asked(self.request)

    def seeded(self, model: str | None) -> Reply:
        """A Reply holding the text so far, which the continuation streams on."""
        reply = Reply(model=model)
        if self.partial.thinking:
            reply.feed(ThinkingDelta(self.partial.thinking))
        if self.partial.content:
            reply.feed(ContentDelta(self.partial.content))
        # The pieces counted are those of the first part, not the two fed just now.
        stats = self.partial.stats
        thinking = (stats.counted_thinking or 0) if stats else 0
        reply.thinking_tokens = thinking
        reply.content_tokens = max(0, ((stats.counted_tokens or 0) if stats else 0) - thinking)
        return reply

    def fall_back(self, error: ServerError) -> bool:
        """After `error` before anything streamed: switch to asking, if that is allowed and the
        error is a refusal of the fields. Returns True when the request was changed."""
        if not (self.can_fall_back and self.mode == "prefill"):
            return False
        if error.status not in REFUSED_STATUSES:
            return False
        self.mode = "ask"
        self.request = asked(self.request)
        self.refused.add(self.host)
        return True

    def joined(self, events: AsyncGenerator[Event, None]) -> AsyncGenerator[Event, None]:
        """The stream, with a space put where an asked continuation meets the text so far
        when two words would otherwise run together, and a paragraph break before reasoning
        that starts afresh. A prefilled continuation goes on from the model's own last token:
        its text is joined as it comes."""
        fresh = self.mode == "ask" or not self.reasoning_sent
        gap = "\n\n" if fresh and self.partial.thinking else ""
        before = self.partial.content if self.mode == "ask" else ""
        if not gap and not before:
            return events
        return _spaced(events, before, gap)


def asked(request: ChatRequest) -> ChatRequest:
    """`request` (the cut reply last) turned into a plain one that asks for the rest."""
    messages = [*request.messages, Message(role="user", content=ASK_TEXT)]
    return replace(request, messages=messages, continue_final=False)


def needs_space(before: str, after: str) -> bool:
    """True when `after` starts a new word right after a word or a sentence of `before`."""
    if not before or not after or before[-1].isspace() or after[0].isspace():
        return False
    return (before[-1].isalnum() or before[-1] in ".,;:!?)") and after[0].isalnum()


async def _spaced(
    events: AsyncGenerator[Event, None], before: str, gap: str
) -> AsyncGenerator[Event, None]:
    content = thinking = True  # the first piece of each kind is still to come
    try:
        async for event in events:
            if content and isinstance(event, ContentDelta) and event.text:
                content = False
                if needs_space(before, event.text):
                    event = ContentDelta(" " + event.text)
            elif thinking and isinstance(event, ThinkingDelta) and event.text:
                thinking = False
                event = ThinkingDelta(gap + event.text)
            yield event
    finally:
        await events.aclose()
