"""Drawing a saved conversation again: the one loop shared by resume, /alt and `sessions show`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from termchat.attachments import label
from termchat.messages import Message

if TYPE_CHECKING:
    from termchat.frontend import Screen


def draw_transcript(
    renderer: Screen,
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
    for index, message in enumerate(messages):
        if message.role == "user":
            # A prompt is labelled with the model that answered it, as it was at the time.
            answer = next((m for m in messages[index + 1 :] if m.role == "assistant"), None)
            asked = message.model or (answer.model if answer is not None else None)
            renderer.user_message(message.content, model=asked or model)
            for attachment in message.attachments:
                renderer.notice(label(attachment.name, attachment.size))
        elif message.role == "assistant":
            number += 1
            renderer.assistant_message(message, show_thinking=show_thinking, number=number)
            for call in message.tool_calls:
                renderer.tool_call(call.name, call.arguments)
        elif message.role == "tool":
            renderer.tool_result(message)  # the same call draws a live result
