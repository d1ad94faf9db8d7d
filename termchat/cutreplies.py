"""How replies that were cut short go back to the model: marked, kept as they are, or dropped.

A reply the user stopped (Ctrl-C) or a dropped connection cut is kept in the history as it
arrived, flagged `interrupted`. Sent back as it is, the model takes it for a finished answer of
its own. The `interrupted` setting decides what the next requests carry instead:

- "mark" (the default): the partial reply with a short visible marker appended, the same words
  the Markdown export shows;
- "keep": the partial reply as it is;
- "drop": the whole cut exchange is left out — the partial reply, the tool results that answer
  its calls, and the user's message it answered (two user messages in a row would otherwise
  follow each other, which chat templates and some servers reject). A reply cut in the middle of
  a tool chain is dropped back to the last tool result, which a user message may follow.

The history and the store are never changed: only the request is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final, Literal, cast, get_args

from termchat.messages import Message

Policy = Literal["mark", "keep", "drop"]
POLICIES: Final[tuple[str, ...]] = get_args(Policy)

# Not "by the user": a reply whose termchat was killed looks the same in the store.
STOPPED_MARK: Final = "[reply interrupted]"
FAILED_MARK: Final = "[reply cut short by an error]"


def parse_policy(value: object) -> Policy:
    """Read an `interrupted` setting.

    Raises:
        ValueError: not one of mark, keep, drop.
    """
    text = value.strip().lower() if isinstance(value, str) else value
    if text in POLICIES:
        return cast(Policy, text)
    raise ValueError(f"interrupted must be mark, keep or drop, not {value!r}")


def marker(message: Message) -> str:
    """The words appended to a cut reply under "mark"."""
    return FAILED_MARK if message.error else STOPPED_MARK


def marked(message: Message) -> Message:
    """`message` with its marker appended to the content (a copy)."""
    text = message.content.rstrip()
    content = f"{text}\n\n{marker(message)}" if text else marker(message)
    return replace(message, content=content)


def prepare(messages: list[Message], policy: Policy, *, open_last: bool = False) -> list[Message]:
    """The history as the request carries it, cut replies treated by `policy`.

    Args:
        messages: The active history (system prompt not included).
        policy: mark, keep or drop.
        open_last: The last message is a cut reply being continued (/continue): it goes as it
            is, whatever the policy.
    """
    if policy == "keep":
        return list(messages)
    last = len(messages) - 1
    cut = [
        i
        for i, m in enumerate(messages)
        if m.role == "assistant" and m.interrupted and not (open_last and i == last)
    ]
    if not cut:
        return list(messages)
    if policy == "mark":
        out = list(messages)
        for i in cut:
            out[i] = marked(messages[i])
        return out
    dropped: set[int] = set()
    for i in cut:
        end = i + 1
        while end < len(messages) and messages[end].role == "tool":
            end += 1
        start = i
        if i > 0 and messages[i - 1].role == "user":
            start = i - 1  # its question goes too: no two user messages in a row
        dropped.update(range(start, end))
    return [m for i, m in enumerate(messages) if i not in dropped]
