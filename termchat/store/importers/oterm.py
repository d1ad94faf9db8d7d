"""oterm: chats from its `store.db` (in oterm's data folder, e.g. ~/.local/share/oterm/).

The layout (oterm's store and its upgrade steps): `chat(id, name, model, system, parameters
JSON, tools JSON, thinking flag, provider)` and `message(id, chat_id, author, text, images JSON
list of base64)`, where `author` is "me" for the user and "ollama" for the model. oterm keeps no
times and no tool calls; a reply whose text starts with a `<think>` block has it split off as
reasoning. Older files lack some columns: what is missing reads as empty.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Final

from termchat.messages import Message, Role
from termchat.store.fields import Invalid, check_images, read_json
from termchat.store.importers.build import (
    Conversation,
    Turn,
    Unreadable,
    options_of,
    split_think,
    text_of,
)
from termchat.store.importers.sqlite_source import read_only, select, tables

LABEL: Final = "oterm store.db"
_AUTHORS: Final[dict[str, Role]] = {
    "me": "user",
    "user": "user",
    "ollama": "assistant",
    "assistant": "assistant",
}


def is_oterm(names: set[str]) -> bool:
    """Whether a database with these tables is oterm's."""
    return {"chat", "message"} <= names


def read(path: Path) -> list[Conversation | Unreadable]:
    """Every chat of an oterm store.db.

    Raises:
        Invalid: the file is not an oterm store.db SQLite can read.
    """
    with read_only(path) as conn:
        if not is_oterm(tables(conn)):
            raise Invalid("has no chat and message tables: not an oterm store.db")
        messages: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        wanted = ("chat_id", "author", "text", "images")
        for row in select(conn, "message", wanted, "ORDER BY chat_id, id"):
            messages[row["chat_id"]].append(row)
        chat_columns = ("id", "name", "model", "system", "parameters", "thinking")
        chats = list(select(conn, "chat", chat_columns, "ORDER BY id"))
    return [_chat(chat, messages.get(chat["id"], [])) for chat in chats]


def _chat(chat: dict[str, Any], rows: list[dict[str, Any]]) -> Conversation | Unreadable:
    try:
        name = text_of(chat["name"], "its name")
        model = text_of(chat["model"], "its model")
        first = text_of(rows[0]["text"], "message 1") if rows else ""
        # oterm's ids are per file: the first message makes the id survive a copied file.
        digest = hashlib.sha256(f"{model}\n{first}".encode()).hexdigest()[:16]
        conversation = Conversation(
            source_id=f"{chat['id']}:{digest}",
            title=name,
            model=model,
            system=text_of(chat["system"], "its system prompt") or None,
            options=options_of(_parameters(chat["parameters"])),
            think=True if chat["thinking"] in (1, True, "1") else None,
        )
        for number, row in enumerate(rows, 1):
            conversation.turns.append(Turn(_message(row, f"message {number}")))
    except Invalid as exc:
        name = chat["name"] if isinstance(chat["name"], str) and chat["name"] else chat["id"]
        return Unreadable(f"oterm chat “{str(name)[:60]}”: {exc}")
    return conversation


def _parameters(value: Any) -> dict[str, Any]:
    parameters = read_json(value)
    if not isinstance(parameters, dict):
        return {}
    if "max_tokens" in parameters and "num_predict" not in parameters:
        parameters["num_predict"] = parameters.pop("max_tokens")
    return parameters


def _message(row: dict[str, Any], where: str) -> Message:
    role = _AUTHORS.get(row["author"]) if isinstance(row["author"], str) else None
    if role is None:
        raise Invalid(f"{where} has an unknown author {row['author']!r:.40}")
    text = text_of(row["text"], where)
    try:
        images = json.loads(row["images"]) if isinstance(row["images"], str) else []
    except (ValueError, RecursionError):
        raise Invalid(f"{where} images are not JSON") from None
    try:
        images = check_images(images)
    except Invalid as exc:
        raise Invalid(f"{where} images {exc}") from None
    thinking, content = split_think(text) if role == "assistant" else ("", text)
    return Message(role=role, content=content, thinking=thinking, images=images)
