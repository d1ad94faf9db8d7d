"""Attachments in the session database: each content stored once, by its SHA-256, in the
`attachments` table; messages refer to it from their `images` column.

A message's `images` column holds a JSON list: base64 strings (images as older termchats and
imports stored them) and references `{"sha256": HASH, "name": NAME}`. The name belongs to the
reference, not to the content: the same bytes may be attached as different files. Like
`termchat.store.history`, this module runs SQL through the store's connection and never
imports sqlite3.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Protocol

from termchat.attachments import Attachment, image_mime
from termchat.messages import Message
from termchat.store.fields import MAX_NAME, Invalid

CREATE_TABLE: Final = (
    "CREATE TABLE attachments ("
    "hash TEXT PRIMARY KEY, mime TEXT NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL)"
)
"""The migration step that adds the table."""

DIGEST: Final = re.compile(r"[0-9a-f]{64}")
_CHUNK: Final = 500  # hashes per query (well under SQLite's limit on parameters)

Blobs = Mapping[str, tuple[str, bytes]]
"""Stored contents by hash: (mime, data)."""


class _Execute(Protocol):
    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...


def refs(message: Message) -> list[dict[str, str]]:
    """The references to a message's attachments, as its `images` column keeps them."""
    return [{"sha256": a.digest, "name": a.name} for a in message.attachments]


def read_refs(value: Any) -> list[tuple[str, str]]:
    """(hash, name) of each valid reference in a stored `images` list; the rest is left out."""
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, dict):
            digest, name = item.get("sha256"), item.get("name")
            if isinstance(digest, str) and DIGEST.fullmatch(digest) and isinstance(name, str):
                out.append((digest, name))
    return out


def attachments_of(value: Any, blobs: Blobs) -> list[Attachment]:
    """The attachments an `images` list refers to (a content missing from `blobs` is left out)."""
    return [
        Attachment(name, *blobs[digest]) for digest, name in read_refs(value) if digest in blobs
    ]


def keep(conn: _Execute, messages: Iterable[Message]) -> None:
    """Store the attachments of `messages` that are not stored yet (inside the caller's
    transaction, before the rows that refer to them)."""
    for message in messages:
        for a in message.attachments:
            conn.execute(
                "INSERT OR IGNORE INTO attachments (hash, mime, size, data) VALUES (?, ?, ?, ?)",
                (a.digest, a.mime, a.size, a.data),
            )


def fetch(conn: _Execute, values: Sequence[Any]) -> dict[str, tuple[str, bytes]]:
    """The stored contents that `images` lists (already parsed from JSON) refer to."""
    wanted = sorted({digest for value in values for digest, _ in read_refs(value)})
    found: dict[str, tuple[str, bytes]] = {}
    for start in range(0, len(wanted), _CHUNK):
        part = wanted[start : start + _CHUNK]
        marks = ", ".join("?" * len(part))
        query = f"SELECT hash, mime, data FROM attachments WHERE hash IN ({marks})"
        for digest, mime, data in conn.execute(query, part):
            if isinstance(mime, str) and isinstance(data, bytes):
                found[digest] = (mime, data)
    return found


def forget_unused(conn: _Execute) -> None:
    """Delete the contents no message refers to any more (after a conversation is deleted)."""
    conn.execute(
        "DELETE FROM attachments WHERE NOT EXISTS (SELECT 1 FROM messages m "
        "WHERE m.images IS NOT NULL AND instr(m.images, attachments.hash) > 0)"
    )


# --- the JSON form (export / import) --------------------------------------------------------


def export_refs(message: Message) -> list[dict[str, Any]]:
    """A message's attachments in an export: name, type, size and hash (the content is kept
    once for the whole file, see `export_contents`)."""
    return [
        {"name": a.name, "mime": a.mime, "size": a.size, "sha256": a.digest}
        for a in message.attachments
    ]


def export_contents(messages: Iterable[Message]) -> dict[str, dict[str, str]]:
    """Each attached content once, by hash: `{"mime": ..., "data": base64}`."""
    return {
        a.digest: {"mime": a.mime, "data": a.base64()}
        for message in messages
        for a in message.attachments
    }


def check_contents(value: Any) -> dict[str, tuple[str, bytes]]:
    """An export's `attachments` object: every content a supported file whose SHA-256 is its
    key.

    Raises:
        Invalid: the first rule broken.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid("must be an object of contents by SHA-256")
    out: dict[str, tuple[str, bytes]] = {}
    for digest, item in value.items():
        if not DIGEST.fullmatch(digest):
            raise Invalid(f"[{digest[:70]!r}] is not a SHA-256 in hex")
        if not isinstance(item, dict) or not isinstance(item.get("mime"), str):
            raise Invalid(f"[{digest}] must be an object with a mime and data")
        data = item.get("data")
        try:
            if not isinstance(data, str):
                raise ValueError(data)
            raw = base64.b64decode(data, validate=True)
        except ValueError:  # bad characters or padding (binascii.Error is a ValueError)
            raise Invalid(f"[{digest}].data is not base64") from None
        if hashlib.sha256(raw).hexdigest() != digest:
            raise Invalid(f"[{digest}].data does not have this SHA-256")
        mime = item["mime"]
        if mime != (image_mime(raw) or "text/plain") or (mime == "text/plain" and not _text(raw)):
            raise Invalid(f"[{digest}] is not {mime[:40]!r} data")
        out[digest] = (mime, raw)
    return out


def _text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


def check_refs(contents: Mapping[str, tuple[str, bytes]]) -> Callable[[Any], list[Attachment]]:
    """A checker of a message's `attachments` list against the file's contents."""

    def check(value: Any) -> list[Attachment]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise Invalid("must be a list")
        out = []
        for index, item in enumerate(value):
            digest = item.get("sha256") if isinstance(item, dict) else None
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name or len(name) > MAX_NAME:
                raise Invalid(f"[{index}] has no name")
            if not isinstance(digest, str) or digest not in contents:
                raise Invalid(f"[{index}] refers to a content the file does not hold")
            out.append(Attachment(name, *contents[digest]))
        return out

    return check
