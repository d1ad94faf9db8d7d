"""ChatGPT data exports: `conversations.json` (Settings → Data controls → Export data; unzip).

The layout (as the export writes it; OpenAI documents no schema): a list of conversations, each
`{id or conversation_id, title, create_time, update_time, default_model_slug, current_node,
mapping}`. `mapping` is a tree: node id → `{message, parent, children}`; the conversation as last
shown is the path from the root to `current_node`, and every other leaf ends a branch (an edited
prompt or a regenerated reply), kept here as an alternative. A message has `author.role` (and
`author.name` for tools), `create_time`, `recipient` ("all", or the tool it calls),
`metadata.model_slug` and `content.content_type`:

- `text`, `multimodal_text`: `parts` (strings; image parts are files of the export: noted);
- `thoughts`: reasoning, `thoughts: [{summary, content}]`, joined to the reply that follows;
- `code` to a tool (recipient not "all"): a tool call; `execution_output`, `tether_quote`,
  `tether_browsing_display`, `system_error` from a tool: its result;
- `user_editable_context` (custom instructions): the system prompt;
- `reasoning_recap` ("Thought for 12 seconds"), hidden messages and empty system messages:
  not messages. Other kinds are left out and counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Final

from termchat.messages import Message
from termchat.store.fields import Invalid, read_json
from termchat.store.importers.build import (
    MAX_BRANCHES,
    Conversation,
    Turn,
    Unreadable,
    text_of,
    tool_call,
)

LABEL: Final = "ChatGPT export"
_SKIPPED: Final = ("reasoning_recap", "model_editable_context")
_RESULTS: Final = ("execution_output", "tether_quote", "tether_browsing_display", "system_error")
_MAX_DEPTH: Final = 20_000


def looks_like(data: Any) -> bool:
    """Whether parsed JSON is a ChatGPT export (a list of conversations, or one)."""
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and isinstance(first.get("mapping"), dict)


def read(data: Any) -> list[Conversation | Unreadable]:
    """Every conversation of a parsed export.

    Raises:
        Invalid: the document is not a ChatGPT export.
    """
    items = data if isinstance(data, list) else [data]
    found: list[Conversation | Unreadable] = []
    for number, item in enumerate(items, 1):
        try:
            found.append(_conversation(item))
        except Invalid as exc:
            title = item.get("title") if isinstance(item, dict) else None
            name = f"“{title[:60]}”" if isinstance(title, str) else f"number {number}"
            found.append(Unreadable(f"ChatGPT conversation {name}: {exc}"))
    return found


def _conversation(item: Any) -> Conversation:
    if not isinstance(item, dict) or not isinstance(item.get("mapping"), dict):
        raise Invalid("has no mapping")
    mapping: dict[Any, Any] = item["mapping"]
    source_id = item.get("conversation_id") or item.get("id")
    conversation = Conversation(
        source_id=text_of(source_id, "id", 1000) or "",
        title=text_of(item.get("title"), "title"),
        model=_slug(item.get("default_model_slug")),
        created_at=_time(item.get("create_time")),
        updated_at=_time(item.get("update_time")),
    )
    if not conversation.source_id:
        raise Invalid("has no id")
    current = item.get("current_node")
    if not isinstance(current, str) or current not in mapping:
        raise Invalid("its current_node is not in its mapping")
    active = _path(mapping, current)
    conversation.turns = _turns(mapping, active, conversation)
    leaves = [key for key, node in mapping.items() if _children(node) == [] and key != current]
    for leaf in leaves[:MAX_BRANCHES]:
        conversation.branches.append(_turns(mapping, _path(mapping, leaf), None))
    conversation.left_out += max(0, len(leaves) - MAX_BRANCHES)
    if not conversation.model:
        models = [t.message.model for t in conversation.turns if t.message.model]
        conversation.model = models[-1] if models else ""
    return conversation


def _children(node: Any) -> list[Any] | None:
    children = node.get("children") if isinstance(node, dict) else None
    return children if isinstance(children, list) else None


def _path(mapping: dict[Any, Any], leaf: Any) -> list[Any]:
    """Node ids from the root to `leaf`, following `parent`."""
    path: list[Any] = []
    seen: set[Any] = set()
    key = leaf
    while key is not None:
        if key in seen or len(path) > _MAX_DEPTH:
            raise Invalid("its mapping has a loop")
        node = mapping.get(key)
        if not isinstance(node, dict):
            raise Invalid(f"its mapping has no node {key!r:.60}")
        seen.add(key)
        path.append(key)
        key = node.get("parent")
        if not isinstance(key, str | None):
            raise Invalid("a node's parent is not an id")
    return path[::-1]


def _turns(mapping: dict[Any, Any], path: list[Any], into: Conversation | None) -> list[Turn]:
    """The messages along a path: reasoning joined to the reply after it, system messages
    before the first turn taken as the system prompt (into `into`: the active path's), what
    termchat does not read counted in `into`. The same nodes always give the same turns, so
    that branches share their common start."""
    turns: list[Turn] = []
    thinking: list[Turn] = []
    for key in path:
        message = mapping[key].get("message")
        if message is None:
            continue
        if not isinstance(message, dict):
            raise Invalid(f"node {str(key)[:40]!r} has a message that is not an object")
        for made in _messages(message, str(key), into):
            m = made.message
            if m.role == "system" and not turns:
                if into is not None:
                    into.system = "\n\n".join(filter(None, (into.system, m.content)))
                continue
            if m.role == "assistant" and m.thinking and not (m.content or m.tool_calls):
                thinking.append(made)
                continue
            if thinking and m.role == "assistant":
                joined = "\n\n".join(t.message.thinking for t in [*thinking, made])
                key_text = "+".join(t.key for t in [*thinking, made])
                made = Turn(replace(m, thinking=joined.strip()), made.created_at, key_text)
                thinking = []
            turns.append(made)
    if thinking:  # a branch that ends while the model was still thinking
        joined = "\n\n".join(t.message.thinking for t in thinking)
        reply = Message(role="assistant", thinking=joined)
        turns.append(Turn(reply, thinking[0].created_at, "+".join(t.key for t in thinking)))
    return turns


def _messages(message: dict[str, Any], key: str, into: Conversation | None) -> Iterator[Turn]:
    """The turns one node's message makes: none, or one."""
    author = _object(message.get("author"))
    content = _object(message.get("content"))
    metadata = _object(message.get("metadata"))
    role, kind = author.get("role"), content.get("content_type")
    when = _time(message.get("create_time"))
    where = f"message {key[:40]}"
    if metadata.get("is_visually_hidden_from_conversation") or kind in _SKIPPED:
        return
    if kind == "user_editable_context":  # custom instructions
        parts = (content.get("user_profile"), content.get("user_instructions"))
        text = "\n\n".join(text_of(p, where) for p in parts if p)
        if text:
            yield Turn(Message(role="system", content=text), when, key)
        return
    if role not in ("user", "assistant", "system", "tool"):
        raise Invalid(f"{where} has an unknown author role {str(role)[:40]!r}")
    model = _slug(metadata.get("model_slug")) or None if role == "assistant" else None
    tool = text_of(author.get("name"), where, 256) or None if role == "tool" else None
    recipient = message.get("recipient")
    if kind == "thoughts":
        yield Turn(Message(role="assistant", thinking=_thoughts(content, where)), when, key)
    elif kind == "code" and role == "assistant" and recipient not in (None, "all"):
        call = tool_call(text_of(recipient, where, 256), _arguments(content, where))
        yield Turn(Message(role="assistant", tool_calls=[call], model=model), when, key)
    elif kind in ("text", "multimodal_text", "code"):
        text = _code(content, where) if kind == "code" else _parts(content, where)
        if text.strip():
            yield Turn(Message(role=role, content=text, model=model, tool_name=tool), when, key)
    elif kind in _RESULTS:
        found = content.get("text") or content.get("result") or content.get("summary")
        text = text_of(found if isinstance(found, str) else None, where)
        yield Turn(Message(role="tool", content=text, tool_name=tool), when, key)
    elif into is not None:
        into.left_out += 1


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _thoughts(content: dict[str, Any], where: str) -> str:
    thoughts = content.get("thoughts")
    if not isinstance(thoughts, list):
        return ""
    pieces = []
    for thought in thoughts:
        if isinstance(thought, dict):
            summary = text_of(thought.get("summary"), where)
            body = text_of(thought.get("content"), where)
            pieces.append("\n".join(p for p in (summary and f"**{summary}**", body) if p))
    return "\n\n".join(p for p in pieces if p)


def _parts(content: dict[str, Any], where: str) -> str:
    parts = content.get("parts")
    if not isinstance(parts, list):
        return ""
    texts = []
    for part in parts:
        if isinstance(part, str):
            texts.append(text_of(part, where))
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            texts.append(text_of(part["text"], where))  # e.g. an audio transcription
        elif isinstance(part, dict):  # an image or a file: in the export's folder, not here
            pointer = part.get("asset_pointer")
            name = pointer if isinstance(pointer, str) else part.get("content_type")
            texts.append(f"[attachment: {text_of(name, where, 300) or 'unknown'}]")
    return "\n\n".join(text for text in texts if text)


def _code(content: dict[str, Any], where: str) -> str:
    code = text_of(content.get("text"), where)
    language = text_of(content.get("language"), where, 40)
    return f"```{'' if language == 'unknown' else language}\n{code}\n```" if code else ""


def _arguments(content: dict[str, Any], where: str) -> dict[str, Any]:
    """A tool call's input: the JSON object it is, else the code as it was sent."""
    code = text_of(content.get("text"), where)
    value = read_json(code)
    return value if isinstance(value, dict) else {"code": code}


def _slug(value: Any) -> str:
    return value if isinstance(value, str) and 0 < len(value) <= 256 else ""


def _time(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 2.5e11:
        return float(value)
    return None
