"""The conversation: history, settings and the requests built from them (no terminal, no SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from termchat.backends.base import ChatRequest, ModelInfo
from termchat.cutreplies import Policy, prepare
from termchat.messages import Message, Think, ToolCall


@dataclass
class Conversation:
    """History plus the settings the next request is made with.

    `messages` holds only the active history; the system prompt is kept apart and sent first.
    """

    model: str
    system: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    think: Think = None
    messages: list[Message] = field(default_factory=list)
    info: ModelInfo | None = None
    session_id: str | None = None
    keep_alive: str | None = None
    interrupted: Policy = "mark"  # how cut replies go back to the model (see cutreplies)
    preset: str | None = None  # the preset applied (recorded with the conversation)

    # --- history -------------------------------------------------------------------------

    def add(self, message: Message) -> Message:
        """Append one message (user, assistant or tool) and return it."""
        self.messages.append(message)
        return message

    def clear(self) -> None:
        """Forget the history, keep the settings."""
        self.messages.clear()

    def last_user_index(self) -> int | None:
        """Position of the last user message, if any."""
        for index in range(len(self.messages) - 1, -1, -1):
            if self.messages[index].role == "user":
                return index
        return None

    def system_head(self) -> list[Message]:
        """What a request starts with: the system prompt as a message (none without one)."""
        return [Message(role="system", content=self.system)] if self.system else []

    def replies(self) -> list[Message]:
        """The assistant messages, in order (numbered from 1 for `/thinking N`)."""
        return [m for m in self.messages if m.role == "assistant"]

    def last_reply(self) -> Message | None:
        """The most recent assistant message."""
        replies = self.replies()
        return replies[-1] if replies else None

    def awaiting_reply(self) -> bool:
        """True when the last message is the user's (e.g. after a failed send)."""
        return bool(self.messages) and self.messages[-1].role == "user"

    def unanswered_calls(self) -> list[ToolCall]:
        """Tool calls of the last assistant reply that have no tool result after them."""
        for index in range(len(self.messages) - 1, -1, -1):
            message = self.messages[index]
            if message.role == "assistant":
                answered = len([m for m in self.messages[index + 1 :] if m.role == "tool"])
                return message.tool_calls[answered:]
            if message.role != "tool":
                return []
        return []

    # --- requests ------------------------------------------------------------------------

    def effective_think(self) -> Think:
        """What to send as `think`: never to a model known not to think (except `false`)."""
        if self.info is not None and not self.info.thinks:
            return None
        return self.think

    def request(
        self, tools: list[dict[str, Any]] | None = None, *, continuing: bool = False
    ) -> ChatRequest:
        """The next /api/chat request: system prompt first, then the history, cut replies
        marked, kept or dropped as `interrupted` says.

        Tools are sent only to models with the tools capability (or when it is unknown); earlier
        images only to models that can see them (after a switch to one that cannot, the rest
        of each message still goes).

        Args:
            continuing: The last message is the cut reply /continue resumes: it goes last, as
                it is, for the server to continue.
        """
        history = list(self.messages)
        if self.info is not None and not self.info.sees_images:
            history = [_without_images(m) for m in history]
        history = [*self.system_head(), *prepare(history, self.interrupted, open_last=continuing)]
        if tools and self.info is not None and not self.info.uses_tools:
            tools = None
        return ChatRequest(
            model=self.model,
            messages=history,
            tools=tools or None,
            think=self.effective_think(),
            options=dict(self.options),
            keep_alive=self.keep_alive,
            continue_final=continuing,
        )


def _without_images(message: Message) -> Message:
    if not message.images and not any(a.is_image for a in message.attachments):
        return message
    kept = [a for a in message.attachments if not a.is_image]
    return replace(message, images=[], attachments=kept)
