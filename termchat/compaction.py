"""/compact: the oldest turns of a conversation summarised by the model into one exchange."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Protocol, TypeVar

from termchat import contextwin
from termchat.accumulator import Reply
from termchat.backends.base import ChatRequest
from termchat.checkpoint import Checkpoints
from termchat.errors import BackendError, StoreError
from termchat.messages import Message
from termchat.streaming import stream_reply

if TYPE_CHECKING:
    from termchat.backends.base import Backend
    from termchat.conversation import Conversation
    from termchat.frontend import Frontend, Screen
    from termchat.session import ChatSession

T = TypeVar("T")


class Chat(Protocol):
    """What /compact uses of a chat (termchat.app.ChatApp, which it does not import)."""

    backend: Backend
    renderer: Screen
    session: ChatSession
    frontend: Frontend

    @property
    def conversation(self) -> Conversation: ...

    async def cancellable(self, coro: Awaitable[T]) -> T | None: ...


KEEP_TURNS = 2
"""Turns (a question and what answered it) /compact leaves as they are."""

SUMMARY_REQUEST = (
    "Summarise our conversation so far for your own later use: the facts, decisions, names, "
    "numbers, code and open questions that matter for going on. Be complete but brief; "
    "write only the summary."
)
"""The question the summary answers; it stays in the history above the summary, so the model
(and whoever reads the conversation again) knows what that message is."""


async def compact(app: Chat, keep: int = KEEP_TURNS) -> list[Message] | None:
    """Replace the turns before the last `keep` with the model's summary of them (shown as
    it streams); the originals stay in the database. Returns the new history (the system
    prompt apart); None when nothing was changed (nothing to summarise, the user stopped it,
    the server failed)."""
    conv = app.conversation
    try:
        messages = list(conv.messages)
    except StoreError as exc:
        app.renderer.error(f"Cannot read the earlier messages: {exc}")
        return None
    cut = contextwin.compact_point(messages, keep)
    if cut is None:
        app.renderer.notice(
            f"Nothing to compact: the conversation has no turns before the last {max(keep, 1)}."
        )
        return None
    old = [
        Message(
            role=m.role,
            content=m.content,
            tool_calls=m.tool_calls,
            tool_name=m.tool_name,
            tool_call_id=m.tool_call_id,
        )
        for m in messages[:cut]
    ]
    thinks = conv.info is not None and conv.info.thinks
    request = ChatRequest(
        model=conv.model,
        messages=[*conv.system_head(), *old, Message(role="user", content=SUMMARY_REQUEST)],
        think=False if thinks else None,
        options=dict(conv.options),
        keep_alive=conv.keep_alive,
    )
    before = contextwin.request_tokens(messages[:cut], reasoning=False)  # as it is sent
    app.renderer.notice(f"Summarising the first {cut} messages (~{before:,} tokens)…")
    reply = Reply(model=conv.model)
    live = app.renderer.live_reply(conv.model, show_thinking=False)
    try:
        done = await stream_reply(
            app.backend.chat(request), reply, live, Checkpoints(_no_save), app.cancellable
        )
    except BackendError as exc:
        live.stop()
        app.renderer.error(f"/compact failed: {exc}")
        return None
    try:
        live.finish(reply, interrupted=done is None, error=reply.error)
    finally:
        live.stop()
    summary = reply.content.strip()
    if done is None or reply.error is not None or not summary:
        why = "stopped" if done is None else reply.error or "the model gave no summary"
        app.renderer.warning(f"Not compacted ({why}); the conversation is as it was.")
        return None
    kept = [
        Message(role="user", content=SUMMARY_REQUEST),
        Message(role="assistant", content=summary, model=conv.model),
        *messages[cut:],
    ]
    app.session.replace_history(kept)
    where = "stay in the database" if app.session.saving else "are not saved"
    app.renderer.notice(
        f"Compacted: {cut} earlier messages are now one summary (~{before:,} → "
        f"~{contextwin.text_tokens(summary):,} tokens). The originals {where}."
    )
    return kept


def _no_save(message: Message) -> None:
    """The summary is saved once it is accepted, not while it streams."""
