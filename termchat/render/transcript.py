"""Drawing a saved conversation again: the one loop shared by resume, /alt and `sessions show`."""

from __future__ import annotations

from typing import Any

from termchat.messages import Message


def draw_transcript(
    renderer: Any,
    messages: list[Message],
    *,
    model: str | None,
    show_thinking: bool,
    replies_before: int = 0,
) -> None:
    """User messages, replies (reasoning collapsed unless `show_thinking`), tool calls, results.

    Args:
        replies_before: assistant replies before `messages`, so reply numbers (`/thinking N`)
            count the whole conversation.
    """
    number = replies_before
    for message in messages:
        if message.role == "user":
            renderer.user_message(message.content, model=message.model or model)
        elif message.role == "assistant":
            number += 1
            renderer.assistant_message(message, show_thinking=show_thinking, number=number)
            for call in message.tool_calls:
                renderer.tool_call(call.name, call.arguments)
        elif message.role == "tool":
            renderer.tool_result(
                message.tool_name or "tool", message.content, error=message.error is not None
            )
