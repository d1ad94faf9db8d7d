"""aichat: session YAML files (~/.config/aichat/sessions/NAME.yaml, autosaved ones in
sessions/_/, an agent's in ~/.config/aichat/agents/AGENT/sessions/).

The layout (aichat's Session and Message types, written with serde_yaml): `model` as
"client:model", optional `temperature`, `top_p`, `role_name`, `agent_instructions`,
`compressed_messages` (older turns a summary replaced) and `messages`, each `{role, content}`
with role system, user, assistant or tool. `content` is text, a list of parts (`{type: text,
text}` and `{type: image_url, image_url: {url}}`, a url that `data_urls` may map to a data: URL),
or for a tool message `{tool_results: [{call: {name, arguments, id}, output}], text}`: the calls
the model made before the reply that follows. aichat keeps no times: the file's is used. Parsed
with PyYAML's safe loader; aliases (which aichat never writes) are refused, so that a crafted
file cannot expand to billions of items.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Final

import yaml

from termchat.messages import Message
from termchat.store.fields import Invalid
from termchat.store.importers.build import (
    MAX_FILE_BYTES,
    Conversation,
    Turn,
    Unreadable,
    options_of,
    split_think,
    text_of,
    tool_call,
)

LABEL: Final = "aichat session"
_ROLES: Final = ("system", "user", "assistant", "tool")


def looks_like(text: str) -> bool:
    """Whether text reads as an aichat session: YAML with top-level model and messages keys."""
    keys = {line.split(":", 1)[0] for line in text.splitlines() if line[:1].isalpha()}
    return {"model", "messages"} <= keys


def parse(text: str) -> Any:
    """The YAML document, read safely.

    Raises:
        Invalid: not YAML, or it uses aliases.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                raise Invalid("uses YAML aliases, which aichat never writes")
        return yaml.load(text, Loader=loader)  # a safe loader: plain data only
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise Invalid(f"is not valid YAML ({reason[:200]})") from None
    except RecursionError:
        raise Invalid("is nested too deeply to read") from None


def read(path: Path) -> list[Conversation | Unreadable]:
    """The session of one YAML file (or of every *.yaml file under a folder).

    Raises:
        Invalid: a single file that cannot be read as an aichat session.
    """
    if path.is_dir():
        found: list[Conversation | Unreadable] = []
        for file in sorted(path.rglob("*.yaml")):
            try:
                found.extend(read(file))
            except Invalid as exc:
                found.append(Unreadable(f"{file.name}: {exc}"))
        return found
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise Invalid(f"is too large (more than {MAX_FILE_BYTES >> 20} MiB)")
        text = path.read_text(encoding="utf-8")
        modified = path.stat().st_mtime
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"cannot be read ({exc})") from None
    data = parse(text)
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise Invalid("has no messages list: not an aichat session")
    return [session(data, path.stem, modified)]


def session(data: dict[str, Any], name: str, modified: float | None) -> Conversation:
    """One aichat session document as a conversation.

    Raises:
        Invalid: a field that is not what aichat writes.
    """
    model = text_of(data.get("model"), "model")
    messages = [*_list(data.get("compressed_messages")), *_list(data.get("messages"))]
    first = _json(messages[:2], "its first messages")[:10_000]
    conversation = Conversation(
        source_id=f"{name}:{hashlib.sha256(first.encode()).hexdigest()[:16]}",
        title=name,
        # aichat names models "client:model" ("ollama:qwen3:8b"); the server knows "qwen3:8b".
        model=model.split(":", 1)[1] if ":" in model else model,
        options=options_of({k: data[k] for k in ("temperature", "top_p") if k in data}),
        created_at=modified,
        updated_at=modified,
    )
    found_urls = data.get("data_urls")
    urls: dict[Any, Any] = found_urls if isinstance(found_urls, dict) else {}
    for number, item in enumerate(messages, 1):
        where = f"message {number}"
        if not isinstance(item, dict) or item.get("role") not in _ROLES:
            raise Invalid(f"{where} has no role aichat writes")
        role, content = item["role"], item.get("content")
        if role == "tool":
            conversation.turns.extend(_tool_turns(content, where))
            continue
        text, images = _content(content, urls, where)
        if role == "system" and not conversation.turns and conversation.system is None:
            conversation.system = text
            continue
        thinking, text = split_think(text) if role == "assistant" else ("", text)
        message = Message(role=role, content=text, thinking=thinking, images=images)
        conversation.turns.append(Turn(message, modified))
    agent = text_of(data.get("agent_instructions"), "agent_instructions")
    conversation.system = conversation.system or agent or None
    return conversation


def _json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        raise Invalid(f"{what} cannot be written as JSON") from None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid("messages must be a list")
    return value


def _content(content: Any, urls: dict[Any, Any], where: str) -> tuple[str, list[str]]:
    """Text and base64 images of a text or parts content."""
    if not isinstance(content, list):
        return text_of(content, where), []
    texts, images = [], []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(text_of(part.get("text"), where))
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else None
            url = urls.get(url, url) if isinstance(url, str) else None
            if isinstance(url, str) and url.startswith("data:") and ";base64," in url:
                images.append(url.split(";base64,", 1)[1])
            else:  # a file or web address aichat read: say which, the image itself is not here
                texts.append(f"[image: {text_of(url, where, 2000)}]")
        else:
            raise Invalid(f"{where} has a part of unknown type {kind!r:.40}")
    return "\n\n".join(texts), images


def _tool_turns(content: Any, where: str) -> list[Turn]:
    """aichat's tool message: the assistant's calls, then each call's output."""
    if not isinstance(content, dict) or not isinstance(content.get("tool_results"), list):
        raise Invalid(f"{where} is a tool message without tool_results")
    calls, outputs = [], []
    for result in content["tool_results"]:
        call = result.get("call") if isinstance(result, dict) else None
        if not isinstance(call, dict):
            raise Invalid(f"{where} has a tool result without its call")
        try:
            made = tool_call(call.get("name"), call.get("arguments"), call.get("id"))
        except Invalid as exc:
            raise Invalid(f"{where} tool call {exc}") from None
        calls.append(made)
        output = result.get("output")
        text = output if isinstance(output, str) else _json(output, f"{where} tool output")
        outputs.append(
            Message(role="tool", content=text, tool_name=made.name, tool_call_id=made.id)
        )
    asked = Message(role="assistant", content=text_of(content.get("text"), where), tool_calls=calls)
    return [Turn(asked), *(Turn(output) for output in outputs)]
