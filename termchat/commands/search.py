"""/search WORDS: find saved conversations by their words, open one at the matching turn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from termchat.app import ChatApp
from termchat.commands.base import Command
from termchat.commands.session import open_saved, replay
from termchat.errors import UsageError

if TYPE_CHECKING:
    from termchat.messages import Message
    from termchat.store import SearchHit

BEFORE = 4
"""Messages shown before the matching one (its turn is drawn from its question on)."""
AFTER = 6
"""Messages after a matching question shown at most: its answer (tool calls and all)."""


def window(messages: list[Message], at: int) -> tuple[int, int]:
    """The messages to draw around message `at`, as [start, stop): a few before it, starting
    at a question; after a matching question, its answer up to the next question."""
    start = max(at - BEFORE, 0)
    questions = [i for i in range(start, at + 1) if messages[i].role == "user"]
    if questions:
        start = questions[0]  # begin at a question, as the conversation did
    while start > 0 and messages[start].role != "user":
        start -= 1  # a long chain of tool calls: back to the question that began it
    stop = at + 1
    if messages[at].role == "user":
        while stop < len(messages) and stop - at <= AFTER and messages[stop].role != "user":
            stop += 1
    return start, stop


def _label(hit: SearchHit, number: int) -> str:
    if hit.field == "thinking":
        return f"▲ Found in the reasoning of reply {number} (/thinking {number} shows it):"
    if hit.role == "assistant":
        return f"▲ Found in reply {number}:"
    if hit.role == "user":
        return "▲ Found in your message:"
    return f"▲ Found in a {hit.role} message:"


def open_at(app: ChatApp, hit: SearchHit) -> None:
    """Open the hit's conversation (resume it, unless it is the open one) and draw it up to
    and around the matching message, the match highlighted below it.

    Raises:
        StoreError: the conversation could not be read.
    """
    from termchat.store import MARK_END, MARK_START

    if hit.session_id != app.conversation.session_id:
        open_saved(app, hit.session_id)
    messages = app.conversation.messages
    if not messages:
        return
    at = min(max(hit.seq, 0), len(messages) - 1)  # seq counts the active history from 0
    start, stop = window(messages, at)
    if start:
        app.renderer.notice(f"… {start} earlier messages not shown")
    before = app.session.replies_before(start)
    replay(app, messages[start:stop], replies_before=before)
    number = before + sum(1 for m in messages[start : at + 1] if m.role == "assistant")
    app.renderer.search_match(_label(hit, number), hit.snippet, MARK_START, MARK_END)
    later = len(messages) - stop
    if later:
        app.renderer.notice(f"… {later} later messages not shown: what you send follows them")
    app.frontend.changed()
    app.start_model_info()


async def cmd_search(app: ChatApp, args: str) -> None:
    words = args.strip()
    if not words:
        raise UsageError("give the words to find")
    hit = await app.frontend.pick_hit(app.session, words)
    if hit is not None:
        open_at(app, hit)


COMMANDS = (
    Command(
        "search",
        "/search WORDS",
        "Find saved conversations by their words; open one at the match",
        cmd_search,
    ),
)
