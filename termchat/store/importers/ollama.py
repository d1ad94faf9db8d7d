"""ollama: a conversation that `ollama run`'s `/save NAME` stored, read from the model it made.

`/save NAME` does not write a conversation file: it creates a model NAME whose manifest
(~/.ollama/models/manifests/registry.ollama.ai/library/NAME/latest, JSON) lists layers, one of
media type `application/vnd.ollama.image.messages`: a blob (models/blobs/sha256-HEX) holding the
conversation as a JSON list of chat messages (`role`, `content`, and `thinking`, `images`,
`tool_calls` where present). The system prompt is the `...image.system` layer, the options the
`...image.params` layer. `ollama show --modelfile NAME` prints the same conversation as
`MESSAGE role text` lines, which are read too. ~/.ollama/history is not a conversation: it holds
only the lines typed at `ollama run`'s prompt, without replies.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Final

from termchat.messages import Message
from termchat.store.fields import Invalid, check_images, check_tool_calls
from termchat.store.importers.build import (
    MAX_FILE_BYTES,
    Conversation,
    Turn,
    options_of,
    split_think,
    text_of,
)

LABEL: Final = "ollama /save"
MESSAGES: Final = "application/vnd.ollama.image.messages"
_SYSTEM: Final = "application/vnd.ollama.image.system"
_PARAMS: Final = "application/vnd.ollama.image.params"
_DIGEST: Final = re.compile(r"sha256[:-]([0-9a-f]{64})")
_MESSAGE_LINE: Final = re.compile(r'^MESSAGE\s+(\w+)\s+("""|)(.*)$', re.IGNORECASE)
HISTORY: Final = (
    "is ollama's prompt history (the lines typed at `ollama run`, without replies), not a "
    "conversation. A conversation saved with /save NAME is in the model NAME: import "
    "~/.ollama/models/manifests/registry.ollama.ai/library/NAME/latest"
)


def is_history(path: Path) -> bool:
    """Whether `path` is ollama's prompt history file."""
    return path.name == "history" and path.parent.name == ".ollama"


def is_manifest(data: Any) -> bool:
    """Whether parsed JSON is an ollama model manifest."""
    return (
        isinstance(data, dict) and "schemaVersion" in data and isinstance(data.get("layers"), list)
    )


def is_modelfile(text: str) -> bool:
    """Whether text is a Modelfile (`ollama show --modelfile`): a FROM line."""
    return any(line.upper().startswith("FROM ") for line in text.splitlines()[:200])


def _name(manifest: Path) -> tuple[str, Path | None]:
    """The model's name from the manifest's path, and the models folder (None: not found)."""
    parts = manifest.resolve().parts
    if "manifests" not in parts:
        return manifest.name, None
    at = len(parts) - 1 - parts[::-1].index("manifests")
    host, *rest = parts[at + 1 :] or ("",)
    if host != "registry.ollama.ai":  # another registry (hf.co/…): its name includes it
        rest = [host, *rest]
    elif len(rest) >= 3 and rest[0] == "library":
        rest = rest[1:]
    name = "/".join(rest[:-1]) + (f":{rest[-1]}" if rest else "")
    return name or manifest.name, Path(*parts[:at])


def _blob(models: Path | None, manifest: Path, layer: dict[str, Any]) -> str:
    digest = layer.get("digest")
    found = _DIGEST.fullmatch(digest) if isinstance(digest, str) else None
    if found is None:
        raise Invalid("names a layer without a sha256 digest")
    folder = (models or manifest.parent) / "blobs"
    blob = folder / f"sha256-{found.group(1)}"
    try:
        if blob.stat().st_size > MAX_FILE_BYTES:
            raise Invalid(f"has a layer larger than {MAX_FILE_BYTES >> 20} MiB")
        return blob.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"names a blob that cannot be read ({blob}: {exc})") from None


def read_manifest(path: Path, data: dict[str, Any]) -> Conversation:
    """The conversation saved in the model this manifest describes.

    Raises:
        Invalid: the model holds no conversation, or its blobs cannot be read.
    """
    name, models = _name(path)
    layers = [layer for layer in data["layers"] if isinstance(layer, dict)]
    saved = [layer for layer in layers if layer.get("mediaType") == MESSAGES]
    if not saved:
        raise Invalid(
            f"is the ollama model {name}, which holds no saved messages: a model, not a "
            "conversation (ollama run's /save NAME makes a model that has them)"
        )
    try:
        messages = json.loads(_blob(models, path, saved[0]))
    except (ValueError, RecursionError):
        raise Invalid("has a messages layer that is not JSON") from None
    conversation = Conversation(source_id=f"{name}@{saved[0]['digest']}", title=name, model=name)
    for layer in layers:
        if layer.get("mediaType") == _SYSTEM:
            conversation.system = text_of(_blob(models, path, layer), "system layer") or None
        elif layer.get("mediaType") == _PARAMS:
            try:
                conversation.options = options_of(json.loads(_blob(models, path, layer)))
            except (ValueError, RecursionError):
                raise Invalid("has a parameters layer that is not JSON") from None
    if not isinstance(messages, list):
        raise Invalid("has a messages layer that is not a list")
    conversation.turns = [
        Turn(_message(item, f"message {n}")) for n, item in enumerate(messages, 1)
    ]
    return conversation


def _message(item: Any, where: str) -> Message:
    if not isinstance(item, dict) or item.get("role") not in (
        "system",
        "user",
        "assistant",
        "tool",
    ):
        raise Invalid(f"{where} has no role")
    role = item["role"]
    content = text_of(item.get("content"), where)
    thinking = text_of(item.get("thinking"), where)
    if role == "assistant" and not thinking:
        thinking, content = split_think(content)
    try:
        calls = check_tool_calls(item.get("tool_calls")) if role == "assistant" else []
        images = check_images(item.get("images"))
    except Invalid as exc:
        raise Invalid(f"{where} {exc}") from None
    return Message(
        role=role,
        content=content,
        thinking=thinking,
        tool_calls=calls,
        images=images,
        tool_name=text_of(item.get("tool_name"), where, 256) or None,
    )


def read_modelfile(path: Path, text: str) -> Conversation:
    """The MESSAGE lines of a Modelfile (`ollama show --modelfile NAME > FILE`).

    Raises:
        Invalid: the Modelfile has no MESSAGE lines.
    """
    model = next(
        (line[5:].strip() for line in text.splitlines() if line.upper().startswith("FROM ")), ""
    )
    conversation = Conversation(
        source_id=f"modelfile:{path.name}:{hash_text(text)}", title=path.stem, model=model
    )
    lines = iter(text.splitlines())
    for line in lines:
        found = _MESSAGE_LINE.match(line)
        if found is None:
            continue
        role, quoted, rest = found.group(1).lower(), found.group(2), found.group(3)
        if quoted and not rest.endswith('"""'):
            body = [rest]
            for more in lines:
                if more.endswith('"""'):
                    body.append(more[:-3])
                    break
                body.append(more)
            rest = "\n".join(body)
            # `"""` alone on the opening or the closing line frames the text; not part of it
            rest = rest.removeprefix("\n").removesuffix("\n")
        elif quoted:
            rest = rest[:-3]
        item = {"role": role, "content": rest}
        conversation.turns.append(Turn(_message(item, f"MESSAGE {len(conversation.turns) + 1}")))
    if not conversation.turns:
        raise Invalid("is a Modelfile without MESSAGE lines: a model, not a conversation")
    return conversation


def hash_text(text: str) -> str:
    """A short stable fingerprint of `text`."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
