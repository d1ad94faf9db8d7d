"""Plain data shared by every layer: messages, tool calls, stream events and stats."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal

from termchat.attachments import Attachment, with_files

Role = Literal["system", "user", "assistant", "tool"]

Think = bool | str | None
"""What is asked of the model's reasoning: True / False / a level ("low", "medium", "high",
"max"), or None to let the model decide (nothing is sent)."""


@dataclass(frozen=True)
class ToolCall:
    """One complete tool call requested by the model.

    `arguments` is always a JSON object here; the OpenAI backend parses its string form.
    """

    name: str
    arguments: dict[str, Any]
    id: str | None = None
    index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Ollama wire form (also the stored form)."""
        function: dict[str, Any] = {"name": self.name, "arguments": self.arguments}
        if self.index is not None:
            function["index"] = self.index
        out: dict[str, Any] = {"function": function}
        if self.id:
            out["id"] = self.id
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCall:
        """Read the Ollama wire form (also the stored form)."""
        function = data.get("function") or {}
        arguments = function.get("arguments")
        if not isinstance(arguments, dict):
            arguments = {}
        index = function.get("index")
        return cls(
            name=str(function.get("name", "")),
            arguments=arguments,
            id=data.get("id") or None,
            index=index if isinstance(index, int) else None,
        )


@dataclass(frozen=True)
class Figure:
    """A number shown to the user, and whether termchat estimated it (shown as `~N`)."""

    value: float
    estimated: bool = False


@dataclass(frozen=True)
class Stats:
    """Timing and token figures of a reply. Every figure may be missing.

    The server's figures come from the final chunk; durations are in nanoseconds, as Ollama
    reports them. termchat adds its own counts of the stream pieces (`counted_tokens`,
    `counted_thinking`): a model streams about one token per piece, so they are the estimate
    shown when the server gives no count, and the only count of the reasoning alone (no server
    reports that on its own). One rule everywhere, live, in the footer, in /stats and on
    resume: the server's figure when it gives one, otherwise the counted estimate, marked `~`.
    """

    done_reason: str | None = None
    total_duration: int | None = None
    load_duration: int | None = None
    prompt_eval_count: int | None = None
    prompt_eval_duration: int | None = None
    eval_count: int | None = None
    eval_duration: int | None = None
    counted_tokens: int | None = None
    counted_thinking: int | None = None
    profile: str | None = None  # the profile whose server answered (see termchat.profiles)
    host: str | None = None  # that server's address, when a profile is in use
    # termchat's own clock (nanoseconds): request sent → first piece, first reasoning piece →
    # first answer piece, first answer piece → end. No server splits its time this way.
    first_token: int | None = None
    thinking_duration: int | None = None
    answer_duration: int | None = None

    @property
    def tokens_per_second(self) -> float | None:
        """Generation speed, eval_count / eval_duration, when both are known."""
        if self.eval_count is None or not self.eval_duration:
            return None
        return self.eval_count / self.eval_duration * 1e9

    @property
    def tokens(self) -> Figure | None:
        """Generated tokens (reasoning included): the server's count, else the counted one."""
        if self.eval_count is not None:
            return Figure(self.eval_count)
        if self.counted_tokens:
            return Figure(self.counted_tokens, estimated=True)
        return None

    @property
    def thinking_tokens(self) -> Figure | None:
        """Reasoning tokens: always counted by termchat (an estimate), None without reasoning."""
        return Figure(self.counted_thinking, estimated=True) if self.counted_thinking else None

    @property
    def speed(self) -> Figure | None:
        """Tokens per second over the generation time, estimated when the count is."""
        tokens = self.tokens
        if tokens is None or not self.eval_duration:
            return None
        return Figure(tokens.value / self.eval_duration * 1e9, tokens.estimated)

    def to_dict(self) -> dict[str, Any]:
        """The figures that are present, by their Ollama names."""
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stats:
        """Pick the known figures out of a final chunk or a stored dict."""

        def num(key: str) -> int | None:
            value = data.get(key)
            return (
                int(value)
                if isinstance(value, (int, float)) and not isinstance(value, bool)
                else None
            )

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        return cls(
            done_reason=text("done_reason"),
            total_duration=num("total_duration"),
            load_duration=num("load_duration"),
            prompt_eval_count=num("prompt_eval_count"),
            prompt_eval_duration=num("prompt_eval_duration"),
            eval_count=num("eval_count"),
            eval_duration=num("eval_duration"),
            counted_tokens=num("counted_tokens"),
            counted_thinking=num("counted_thinking"),
            profile=text("profile"),
            host=text("host"),
            first_token=num("first_token"),
            thinking_duration=num("thinking_duration"),
            answer_duration=num("answer_duration"),
        )


@dataclass
class Message:
    """One message of a conversation, with the metadata termchat keeps beside it.

    Only role, content, thinking, images, tool_calls, tool_name and tool_call_id go on the wire.
    `attachments` (files the user attached) go there too: text files inlined into the content,
    images after `images` (base64 data, as older exports hold them).
    """

    role: Role
    content: str = ""
    thinking: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_name: str | None = None
    tool_call_id: str | None = None
    images: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    # Metadata, never sent to the model.
    model: str | None = None
    stats: Stats | None = None
    interrupted: bool = False
    error: str | None = None

    def wire_content(self) -> str:
        """The content as sent: attached text files first, then the text."""
        return with_files(self.content, self.attachments) if self.attachments else self.content

    def wire_images(self) -> list[str]:
        """Every image as sent (base64): stored ones, then attached ones."""
        return [*self.images, *(a.base64() for a in self.attachments if a.is_image)]

    def to_wire(self) -> dict[str, Any]:
        """The Ollama /api/chat form: empty fields omitted, reasoning only in `thinking`."""
        out = self._fields()
        out["content"] = self.wire_content()
        if self.attachments and self.wire_images():
            out["images"] = self.wire_images()
        return out

    def _fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.thinking:
            out["thinking"] = self.thinking
        if self.images:
            out["images"] = list(self.images)
        if self.tool_calls:
            out["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.tool_name:
            out["tool_name"] = self.tool_name
        if self.tool_call_id:
            out["tool_call_id"] = self.tool_call_id
        return out

    def to_dict(self) -> dict[str, Any]:
        """Lossless form for storage and JSON export."""
        out = self._fields()
        if self.attachments:
            out["attachments"] = [
                {"name": a.name, "mime": a.mime, "data": a.base64()} for a in self.attachments
            ]
        out["model"] = self.model
        out["stats"] = self.stats.to_dict() if self.stats else None
        out["interrupted"] = self.interrupted
        out["error"] = self.error
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        """Inverse of `to_dict` (also accepts the bare wire form)."""
        stats = data.get("stats")
        return cls(
            role=data["role"],
            content=data.get("content") or "",
            thinking=data.get("thinking") or "",
            tool_calls=[ToolCall.from_dict(c) for c in data.get("tool_calls") or []],
            tool_name=data.get("tool_name") or None,
            tool_call_id=data.get("tool_call_id") or None,
            images=list(data.get("images") or []),
            attachments=[
                Attachment(a["name"], a["mime"], base64.b64decode(a["data"]))
                for a in data.get("attachments") or []
            ],
            model=data.get("model") or None,
            stats=Stats.from_dict(stats) if isinstance(stats, dict) else None,
            interrupted=bool(data.get("interrupted", False)),
            error=data.get("error") or None,
        )


# --- stream events: what a backend yields while a reply streams -------------------------


@dataclass(frozen=True)
class ThinkingDelta:
    """A piece of reasoning."""

    text: str


@dataclass(frozen=True)
class ContentDelta:
    """A piece of the answer (may still hold `<think>` tags; the accumulator splits them)."""

    text: str


@dataclass(frozen=True)
class ToolCalls:
    """One or more complete tool calls; append them, never merge by index."""

    calls: tuple[ToolCall, ...]


@dataclass(frozen=True)
class Done:
    """The reply ended normally."""

    stats: Stats


@dataclass(frozen=True)
class StreamError:
    """The reply ended abnormally after it started (error line, EOF without done, bad line)."""

    message: str


Event = ThinkingDelta | ContentDelta | ToolCalls | Done | StreamError
