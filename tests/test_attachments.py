"""termchat.attachments, pure: reading and sniffing files, caps, hashes, the transcript line, the
inlined block, finding file references in a message, and path completion. Real files in tmp."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from termchat.attachments import (
    Attachment,
    Limits,
    first_word,
    human_size,
    label,
    path_completions,
    read_attachment,
    scan_message,
    with_files,
    words,
)
from termchat.backends.base import ModelInfo
from termchat.config import load_config
from termchat.errors import AttachmentError, ConfigError
from termchat.messages import Message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(40)
GIF = b"GIF89a" + bytes(30)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(30)
LIMITS = Limits(text=1000, image=5000)


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        pytest.param("a.png", PNG, "image/png", id="png"),
        pytest.param("a.jpg", JPEG, "image/jpeg", id="jpeg"),
        pytest.param("a.gif", GIF, "image/gif", id="gif"),
        pytest.param("a.webp", WEBP, "image/webp", id="webp"),
        pytest.param("no-extension", PNG, "image/png", id="sniffed-not-named"),
        pytest.param("notes.md", "# Notes\nhello\n", "text/plain", id="text"),
    ],
)
def test_read_attachment_sniffs_the_type(tmp_path: Path, name: str, data: bytes, mime: str) -> None:
    write(tmp_path, name, data)
    attachment = read_attachment(name, tmp_path, LIMITS)
    raw = data.encode() if isinstance(data, str) else data
    assert (attachment.name, attachment.mime, attachment.data) == (name, mime, raw)
    assert attachment.digest == hashlib.sha256(raw).hexdigest()
    assert attachment.size == len(raw)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        pytest.param("missing.md", None, "No such file: missing.md", id="missing"),
        pytest.param("big.md", "x" * 1001, "big.md is 1 kB, over the 1 kB limit", id="big"),
        pytest.param("big.png", PNG + bytes(5000), "over the 5 kB limit for images", id="big-img"),
        pytest.param("a.bin", b"ab\x00cd", "a.bin looks binary", id="binary"),
        pytest.param("a.txt", b"caf\xe9", "a.txt is not UTF-8 text", id="latin1"),
        pytest.param("a.pdf", b"%PDF-1.7\n", "a.pdf is a PDF", id="pdf"),
        pytest.param("fake.png", "not an image", "fake.png is not a PNG, JPEG", id="fake-png"),
    ],
)
def test_read_attachment_refuses_with_one_line(
    tmp_path: Path, name: str, data: bytes | str | None, message: str
) -> None:
    if data is not None:
        write(tmp_path, name, data)
    with pytest.raises(AttachmentError) as caught:
        read_attachment(name, tmp_path, LIMITS)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_read_attachment_names_the_setting_that_raises_the_cap(tmp_path: Path) -> None:
    write(tmp_path, "big.md", "x" * 1001)
    with pytest.raises(AttachmentError, match=r"file_limit_kb in config\.toml"):
        read_attachment("big.md", tmp_path, LIMITS)
    assert read_attachment("big.md", tmp_path, Limits(text=2000)).size == 1001


def test_read_attachment_refuses_a_directory_a_fifo_and_an_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(AttachmentError, match="folder is a directory"):
        read_attachment("folder", tmp_path, LIMITS)
    os.mkfifo(tmp_path / "pipe")  # opening it would wait for a writer for ever
    with pytest.raises(AttachmentError, match="pipe is not a regular file"):
        read_attachment("pipe", tmp_path, LIMITS)


def test_read_attachment_says_why_a_file_cannot_be_read(tmp_path: Path) -> None:
    # Reading a process's memory from its start fails (EIO) even for root.
    with pytest.raises(AttachmentError) as caught:
        read_attachment("/proc/self/mem", tmp_path, LIMITS)
    assert str(caught.value) == "Cannot read /proc/self/mem: Input/output error"
    locked = write(tmp_path, "locked.md", "secret")
    locked.chmod(0)
    try:
        refused = not os.access(locked, os.R_OK)  # root reads it anyway
        message = "Cannot read locked.md: permission denied"
        with pytest.raises(AttachmentError, match=message) if refused else _reads(locked):
            read_attachment("locked.md", tmp_path, LIMITS)
    finally:
        locked.chmod(0o600)


@contextlib.contextmanager
def _reads(path: Path) -> Iterator[None]:
    yield
    assert path.read_bytes() == b"secret"


def test_read_attachment_image_only_refuses_text(tmp_path: Path) -> None:
    write(tmp_path, "notes.md", "hello")
    with pytest.raises(AttachmentError, match=r"notes\.md is not an image .* /file puts"):
        read_attachment("notes.md", tmp_path, LIMITS, image_only=True)


def test_read_attachment_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write(tmp_path, "notes.md", "hi")
    assert read_attachment("~/notes.md", Path("/"), LIMITS).data == b"hi"


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (4100, "4.1 kB"),
        (200_000, "200 kB"),
        (999_949, "999.9 kB"),
        (999_950, "1 MB"),
        (3_200_000, "3.2 MB"),
    ],
)
def test_human_size(size: int, shown: str) -> None:
    assert human_size(size) == shown


def test_label_is_one_line_with_name_and_size() -> None:
    assert label("notes.md", 4100) == "📎 notes.md · 4.1 kB"


def test_with_files_puts_each_file_first_in_a_fence_that_its_backticks_cannot_close() -> None:
    notes = Attachment("notes.md", "text/plain", b"# T\n```py\nx = 1\n```\n")
    photo = Attachment("p.png", "image/png", PNG)
    sent = with_files("summarise", [notes, photo])
    assert sent == "notes.md:\n````\n# T\n```py\nx = 1\n```\n````\n\nsummarise"


def test_message_wire_form_inlines_files_and_appends_images() -> None:
    notes = Attachment("notes.md", "text/plain", b"hello")
    photo = Attachment("p.png", "image/png", PNG)
    message = Message(role="user", content="look", images=["b2xk"], attachments=[notes, photo])
    wire = message.to_wire()
    assert wire["content"] == "notes.md:\n```\nhello\n```\n\nlook"
    assert wire["images"] == ["b2xk", photo.base64()]
    assert Message.from_dict(message.to_dict()) == message  # the lossless form keeps them


# --- words and references ------------------------------------------------------------------


def test_words_undo_quotes_and_backslash_escapes() -> None:
    found = [(w.text, w.at, w.quoted) for w in words("say @\"my notes.md\" my\\ photo.png 'a b'")]
    assert found == [
        ("say", False, False),
        ("my notes.md", True, True),
        ("my photo.png", False, False),
        ("a b", False, True),
    ]


def test_first_word_takes_quoted_escaped_and_spaced_paths(tmp_path: Path) -> None:
    write(tmp_path, "my photo.png", PNG)
    assert first_word('"my photo.png" what is it?', tmp_path) == ("my photo.png", "what is it?")
    assert first_word("my\\ photo.png what?", tmp_path) == ("my photo.png", "what?")
    assert first_word("my photo.png what?", tmp_path) == ("my photo.png", "what?")
    assert first_word("other.png what?", tmp_path) == ("other.png", "what?")
    assert first_word("  ", tmp_path) == ("", "")


def test_scan_message_finds_at_paths_and_existing_images(tmp_path: Path) -> None:
    write(tmp_path, "notes.md", "n")
    write(tmp_path, "pics/cat.png", PNG)
    write(tmp_path, "my photo.jpg", JPEG)
    text = 'compare @notes.md with pics/cat.png, and "my photo.jpg" (also @notes.md)'
    found = scan_message(text, tmp_path, LIMITS)
    assert [(a.name, a.mime) for a in found] == [
        ("notes.md", "text/plain"),
        ("pics/cat.png", "image/png"),
        ("my photo.jpg", "image/jpeg"),
    ]


def test_scan_message_leaves_words_that_name_no_file_as_text(tmp_path: Path) -> None:
    text = "@alice what does @pytest.fixture do to a .png or missing.png? mail a@b.md"
    assert scan_message(text, tmp_path, LIMITS) == []


def test_scan_message_ignores_code(tmp_path: Path) -> None:
    write(tmp_path, "cat.png", PNG)
    assert scan_message("why?\n```\nopen('cat.png')\n@x/y.md\n```", tmp_path, LIMITS) == []
    assert scan_message("rename `cat.png` and ``@x/y.md``", tmp_path, LIMITS) == []


def test_scan_message_reads_a_reference_after_many_words(tmp_path: Path) -> None:
    write(tmp_path, "notes.md", "n")
    found = scan_message("word " * 5000 + "@notes.md", tmp_path, LIMITS)
    assert [a.name for a in found] == ["notes.md"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("read @notes.md please", "No such file: notes.md", id="missing-with-ext"),
        pytest.param("read @docs/intro please", "No such file: docs/intro", id="missing-path"),
        pytest.param("read @big.md", "over the 1 kB limit", id="too-large"),
    ],
)
def test_scan_message_refuses_a_file_it_clearly_meant(
    tmp_path: Path, text: str, message: str
) -> None:
    write(tmp_path, "big.md", "x" * 2000)
    with pytest.raises(AttachmentError, match=message):
        scan_message(text, tmp_path, LIMITS)


def test_path_completions(tmp_path: Path) -> None:
    write(tmp_path, "notes.md", "n")
    write(tmp_path, "notebook/a.txt", "a")
    write(tmp_path, ".hidden", "h")
    assert path_completions("no", tmp_path) == ["notebook/", "notes.md"]
    assert path_completions("notebook/", tmp_path) == ["notebook/a.txt"]
    assert path_completions("", tmp_path) == ["notebook/", "notes.md"]
    assert path_completions(".h", tmp_path) == [".hidden"]
    assert path_completions("nothing/here", tmp_path) == []


def test_config_sets_the_caps_and_refuses_a_bad_one(tmp_path: Path) -> None:
    path = write(tmp_path, "config.toml", "file_limit_kb = 500\nimage_limit_mb = 2\n")
    assert load_config(path, {}).attach_limits == Limits(text=500_000, image=2_000_000)
    assert load_config(tmp_path / "none.toml", {}).attach_limits == Limits()
    write(tmp_path, "config.toml", "file_limit_kb = 0\n")
    with pytest.raises(ConfigError, match="file_limit_kb must be a whole number of at least 1"):
        load_config(path, {})


@pytest.mark.parametrize(
    ("capabilities", "sees"),
    [
        pytest.param({"completion", "vision"}, True, id="vision"),
        pytest.param({"completion", "tools"}, False, id="no-vision"),
        pytest.param(set(), True, id="not-reported"),  # an Ollama older than the list
    ],
)
def test_model_info_sees_images(capabilities: set[str], sees: bool) -> None:
    assert ModelInfo("m", frozenset(capabilities)).sees_images is sees
