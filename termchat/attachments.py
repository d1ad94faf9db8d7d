"""Attachments: reading files (images and text), sniffing, size caps, content hashes, the
`📎 name · size` line, and finding file references in a message. Pure: no terminal, no network.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from termchat.errors import AttachmentError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
"""Names that make a word of a message an image to attach (when the file exists)."""

IMAGE_KINDS = "PNG, JPEG, WebP or GIF"

# An `@word` that names no file stays text unless it clearly meant one: a path with a slash, or
# a name with one of these extensions (so `@pytest.fixture` in pasted code is left alone).
_TEXT_EXTENSIONS = (
    "md txt rst py pyi json jsonl toml yaml yml csv tsv log ini cfg conf env sh bash zsh fish c "
    "h cc cpp hpp rs go java kt js mjs ts tsx jsx rb php lua sql html htm css scss xml svg tex "
    "org diff patch pdf lock swift r m cs ex exs hs ml scala dart vue proto mk cmake"
)
_FILE_SUFFIXES = frozenset(f".{e}" for e in _TEXT_EXTENSIONS.split()) | frozenset(IMAGE_SUFFIXES)
_TRAILING = ".,;:!?)]}'\""  # punctuation that may follow a path in a sentence
_ESCAPABLE = " ()[]{}'\"&;,!$`#|<>*?"  # what a terminal escapes with \ when a path is dropped
_CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)


@dataclass(frozen=True)
class Limits:
    """The largest files that may be attached, in bytes."""

    text: int = 200_000
    image: int = 20_000_000


@dataclass(frozen=True)
class Attachment:
    """A file sent with a user message: an image (sent as image data) or a text file (inlined
    into the message's text on the wire, headed by its name)."""

    name: str
    mime: str
    data: bytes = field(repr=False)

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the content, hex: how the store keeps it (once, however often sent)."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")

    def base64(self) -> str:
        """The content as base64 (the form Ollama's `images` and data: URLs take)."""
        return base64.b64encode(self.data).decode("ascii")

    def text(self) -> str:
        """A text attachment's content (a UTF-8 byte-order mark dropped)."""
        return self.data.decode("utf-8-sig", "replace")


def image_mime(data: bytes) -> str | None:
    """The image type by its first bytes, or None when it is not a supported image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def human_size(size: int) -> str:
    """`812 B`, `4.1 kB`, `200 kB`, `3.2 MB` (decimal units, as file managers show them)."""
    if size < 1000:
        return f"{size} B"
    value, unit = (size / 1000, "kB") if size < 999_950 else (size / 1_000_000, "MB")
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def label(name: str, size: int) -> str:
    """The one line an attachment shows as in the transcript: `📎 notes.md · 4.1 kB`."""
    return f"📎 {name} · {human_size(size)}"


def file_block(attachment: Attachment) -> str:
    """A text file as the model reads it: its name, then its content in a fence longer than any
    run of backticks inside it."""
    body = attachment.text().rstrip("\n")
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{attachment.name}:\n{fence}\n{body}\n{fence}"


def with_files(text: str, attachments: Sequence[Attachment]) -> str:
    """The message text as sent: each text file's block first, then what the user wrote (a
    question after long documents is what models answer best)."""
    blocks = [file_block(a) for a in attachments if not a.is_image]
    return "\n\n".join([*blocks, text] if text else blocks)


# --- reading -------------------------------------------------------------------------------


def read_attachment(
    typed: str, base: Path, limits: Limits, *, image_only: bool = False
) -> Attachment:
    """Read the file `typed` names (`~` expanded, relative to `base`) as an attachment.

    Raises:
        AttachmentError: missing, unreadable, not a regular file, too large, binary (not an
            image), not UTF-8 text, or (with `image_only`) not an image. One line each.
    """
    shown = typed
    path = _resolve(typed, base)
    try:
        # Looked at before opening: opening a FIFO or a device could wait for ever.
        kind = os.stat(path).st_mode
        if stat.S_ISDIR(kind):
            raise AttachmentError(f"{shown} is a directory; attach the files in it one by one")
        if not stat.S_ISREG(kind):
            raise AttachmentError(f"{shown} is not a regular file")
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            head = handle.read(16)
            mime = image_mime(head)
            limit = limits.image if mime else limits.text
            if size > limit:
                raise _too_large(shown, size, limit, mime is not None)
            data = head + handle.read(limit + 1 - len(head))
    except FileNotFoundError:
        raise AttachmentError(f"No such file: {shown}") from None
    except PermissionError:
        raise AttachmentError(f"Cannot read {shown}: permission denied") from None
    except OSError as exc:
        raise AttachmentError(f"Cannot read {shown}: {exc.strerror or exc}") from None
    if len(data) > limit:  # it grew while it was read
        raise _too_large(shown, len(data), limit, mime is not None)
    if mime is not None:
        return Attachment(typed, mime, data)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        raise AttachmentError(f"{shown} is not a {IMAGE_KINDS} image")
    if image_only:
        raise AttachmentError(
            f"{shown} is not an image ({IMAGE_KINDS}); /file puts a text file in the message"
        )
    return Attachment(typed, "text/plain", _check_text(shown, data))


def _resolve(typed: str, base: Path) -> Path:
    path = Path(typed).expanduser()
    return path if path.is_absolute() else base / path


def _too_large(shown: str, size: int, limit: int, image: bool) -> AttachmentError:
    what, key = ("images", "image_limit_mb") if image else ("text files", "file_limit_kb")
    return AttachmentError(
        f"{shown} is {human_size(size)}, over the {human_size(limit)} limit for {what} "
        f"({key} in config.toml raises it)"
    )


def _check_text(shown: str, data: bytes) -> bytes:
    if data.startswith(b"%PDF-"):
        raise AttachmentError(f"{shown} is a PDF; only text files and images can be attached")
    if b"\x00" in data:
        raise AttachmentError(
            f"{shown} looks binary; only text files and {IMAGE_KINDS} images can be attached"
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise AttachmentError(f"{shown} is not UTF-8 text; it cannot be attached") from None
    return data


# --- file references in a message ----------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """A word of a message: its text (quotes and escapes undone), whether it began with `@`,
    and whether it was quoted."""

    text: str
    at: bool = False
    quoted: bool = False


def words(text: str) -> Iterator[Word]:
    """The words of `text`: split on whitespace, except inside a leading quote pair
    (`"my notes.md"`) or after a backslash (`my\\ notes.md`, as terminals drop paths)."""
    i, end = 0, len(text)
    while i < end:
        if text[i].isspace():
            i += 1
            continue
        at = text[i] == "@"
        if at:
            i += 1
        if i < end and text[i] in "\"'":
            close = text.find(text[i], i + 1)
            if close > i:
                yield Word(text[i + 1 : close], at, quoted=True)
                i = close + 1
                continue
        chars: list[str] = []
        while i < end and not text[i].isspace():
            if text[i] == "\\" and i + 1 < end and text[i + 1] in _ESCAPABLE:
                i += 1
            chars.append(text[i])
            i += 1
        yield Word("".join(chars), at)


def first_word(args: str, base: Path) -> tuple[str, str]:
    """A command's path argument and the rest (`/file "my notes.md" summarise`). An unquoted
    path with spaces is taken whole when the words together name a file."""
    stripped = args.strip()
    if not stripped:
        return "", ""
    if stripped[0] not in "\"'":
        pieces = stripped.split()
        for count in range(len(pieces), 1, -1):  # the longest run of words that is a file
            candidate = " ".join(pieces[:count])
            if _exists(candidate, base):
                return candidate, " ".join(pieces[count:])
    word = next(words(stripped))
    rest = _after_first_word(stripped)
    return word.text, rest


def _after_first_word(text: str) -> str:
    if text[0] in "\"'":
        close = text.find(text[0], 1)
        if close > 0:
            return text[close + 1 :].strip()
    i = 0
    while i < len(text) and not text[i].isspace():
        i += 2 if text[i] == "\\" and i + 1 < len(text) else 1
    return text[i:].strip()


def _exists(typed: str, base: Path) -> bool:
    try:
        return _resolve(typed, base).exists()
    except (OSError, ValueError):
        return False


def _prose(text: str) -> str:
    """The text outside fenced blocks and `code spans`: code in a message names no file (and
    backticks are how to mention a file without attaching it)."""
    kept, inside = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            inside = not inside
            continue
        if not inside:
            kept.append(line)
    return _CODE_SPAN.sub(" ", "\n".join(kept))


def _candidates(word: Word) -> list[str]:
    if word.quoted:
        return [word.text]
    trimmed = word.text.lstrip("(").rstrip(_TRAILING)
    return [word.text] if trimmed == word.text else [word.text, trimmed]


def scan_message(text: str, base: Path, limits: Limits) -> list[Attachment]:
    """The files a message names: `@path` (any text file or image) and words that are paths to
    existing images (as `ollama run` finds them), outside code. Each file once, in order.

    An `@word` naming no file stays text unless it clearly meant one (a slash in it, or a file
    extension): then it is an error, so that nothing is sent without the file.

    Raises:
        AttachmentError: a named file is missing, unreadable, too large or unsupported.
    """
    found: list[Attachment] = []
    named: set[str] = set()
    for word in words(_prose(text)):
        typed = _referenced(word, base)
        if typed is None or typed in named:
            continue  # a file named twice is read once: an attachment's name is what was typed
        named.add(typed)
        found.append(read_attachment(typed, base, limits))
    return found


def _referenced(word: Word, base: Path) -> str | None:
    """The path a word refers to, if it refers to one."""
    if not word.text:
        return None
    candidates = _candidates(word)
    if word.at:
        existing = next((c for c in candidates if _exists(c, base)), None)
        if existing is not None:
            return existing
        meant = candidates[-1]
        suffix = Path(meant).suffix.lower()
        return meant if "/" in meant or suffix in _FILE_SUFFIXES else None
    for candidate in candidates:
        if candidate.lower().endswith(IMAGE_SUFFIXES) and _is_file(candidate, base):
            return candidate
    return None


def _is_file(typed: str, base: Path) -> bool:
    try:
        return _resolve(typed, base).is_file()
    except (OSError, ValueError):
        return False


# --- completion ----------------------------------------------------------------------------

MAX_COMPLETIONS = 200


def path_completions(prefix: str, base: Path) -> list[str]:
    """Paths that complete `prefix` (relative to `base`, `~` expanded), directories ending in
    `/`; hidden entries only when the prefix's last part starts with a dot."""
    head, _, start = prefix.rpartition("/")
    folder_text = head + "/" if _ else ""
    folder = _resolve(folder_text or ".", base)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    out: list[str] = []
    for entry in entries:
        if not entry.name.startswith(start) or (entry.name.startswith(".") and not start):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        out.append(folder_text + entry.name + ("/" if is_dir else ""))
        if len(out) >= MAX_COMPLETIONS:
            break
    return out


def unique(attachments: Sequence[Attachment]) -> list[Attachment]:
    """Each file once (the same name and content), in order."""
    seen: set[tuple[str, str]] = set()
    out = []
    for a in attachments:
        if (a.name, a.digest) not in seen:
            seen.add((a.name, a.digest))
            out.append(a)
    return out
