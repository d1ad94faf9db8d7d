"""Attachments end to end in-process: /image, /file, @path and image paths against the loopback
fake server (the exact request JSON, Ollama and OpenAI), the vision refusal, the real SQLite
store (one row per content), resume, export/import, and the errors that send nothing."""

from __future__ import annotations

import base64
import io
import json
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from appdriver import drive_app
from fakeserver import FakeServer
from terminal import termchat

from termchat.app import ChatApp
from termchat.commands import run_command
from termchat.config import Config
from termchat.frontend import PlainFrontend
from termchat.outgoing import send_message
from termchat.store import SessionStore
from termchat.store.export import export_json, export_markdown, import_json

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(48))
PNG_B64 = base64.b64encode(PNG).decode()
NOTES = "# Plan\n\n- buy milk\n"
BLOCK = "notes.md:\n```\n# Plan\n\n- buy milk\n```"


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding cat.png, notes.md and a binary file."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "cat.png").write_bytes(PNG)
    (work / "notes.md").write_text(NOTES)
    (work / "blob.bin").write_bytes(b"\x00\x01\x02")
    monkeypatch.chdir(work)
    return work


class Editor(PlainFrontend):
    """A frontend whose editor gives back `text`."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    async def edit(self, text: str) -> str | None:
        return self.text


def run_app(
    server: FakeServer,
    home: Path,
    script: Callable[[ChatApp], Awaitable[None]],
    frontend: PlainFrontend | None = None,
    **config: Any,
) -> str:
    """Build a ChatApp as launch.py does (real HTTP, real SQLite), run `script`, return what
    it printed."""
    out = io.StringIO()
    url = server.openai_url if config.get("backend") == "openai" else server.url
    cfg = Config(host=url, host_given=True, home=home, **{"model": "gemma3", **config})
    drive_app(cfg, script, out, width=120, frontend=frontend)
    return " ".join(out.getvalue().split())


def stored(home: Path) -> tuple[str, SessionStore]:
    store = SessionStore.open(home / "sessions.db")
    latest = store.latest_session()
    assert latest is not None
    return latest.id, store


# --- what goes on the wire ------------------------------------------------------------------


def test_image_command_sends_base64_images_to_ollama(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    async def script(app: ChatApp) -> None:
        await run_command(app, "/image cat.png What is this?")

    printed = run_app(fake_server, tmp_path, script)
    assert fake_server.last_chat()["messages"] == [
        {"role": "user", "content": "What is this?", "images": [PNG_B64]}
    ]
    assert "📎 cat.png · 64 B" in printed


def test_image_path_in_a_message_is_attached_as_ollama_run_does(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    (files / "my cat.png").write_bytes(PNG)

    async def script(app: ChatApp) -> None:
        assert await send_message(app, f"describe {files}/cat.png and 'my cat.png'")

    run_app(fake_server, tmp_path, script)
    (message,) = fake_server.last_chat()["messages"]
    assert message["images"] == [PNG_B64, PNG_B64]  # two files, same content
    assert message["content"] == f"describe {files}/cat.png and 'my cat.png'"


def test_at_path_and_file_command_inline_the_text_file_with_its_name(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    async def script(app: ChatApp) -> None:
        assert await send_message(app, "summarise @notes.md")
        await run_command(app, '/file "notes.md"')  # waits for the next message
        assert await send_message(app, "again")

    printed = run_app(fake_server, tmp_path, script, model="qwen3")
    first, _, second = fake_server.last_chat()["messages"]
    block = "notes.md:\n```\n# Plan\n\n- buy milk\n```"
    assert first == {"role": "user", "content": f"{block}\n\nsummarise @notes.md"}
    assert second == {"role": "user", "content": f"{block}\n\nagain"}
    assert "goes with your next message" in printed


def test_openai_backend_sends_image_url_parts_with_a_data_url(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    async def script(app: ChatApp) -> None:
        assert await send_message(app, "what is in cat.png? see @notes.md")

    run_app(fake_server, tmp_path, script, backend="openai", model="anything-at-all")
    (message,) = fake_server.last_chat("/v1/chat/completions")["messages"]
    assert message == {
        "role": "user",
        "content": [
            {
                "type": "text",
                "text": f"{BLOCK}\n\nwhat is in cat.png? see @notes.md",
            },
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
        ],
    }


def test_edit_and_retry_send_the_attachments_again(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    async def script(app: ChatApp) -> None:
        assert await send_message(app, "what is cat.png?")
        await run_command(app, "/retry")
        await run_command(app, "/edit")

    run_app(fake_server, tmp_path, script, frontend=Editor("and in one word?"))
    bodies = fake_server.chat_requests()
    assert [b["messages"] for b in bodies] == [
        [{"role": "user", "content": "what is cat.png?", "images": [PNG_B64]}],
        [{"role": "user", "content": "what is cat.png?", "images": [PNG_B64]}],
        [{"role": "user", "content": "and in one word?", "images": [PNG_B64]}],
    ]


def test_after_a_switch_to_a_model_without_vision_earlier_images_are_left_out(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    async def script(app: ChatApp) -> None:
        assert await send_message(app, "what is cat.png? see @notes.md")
        await run_command(app, "/model qwen3")
        assert await send_message(app, "and now?")

    run_app(fake_server, tmp_path, script)
    first, second = fake_server.chat_requests()
    assert first["messages"][0]["images"] == [PNG_B64]
    assert second["model"] == "qwen3"
    assert second["messages"][0] == {
        "role": "user",
        "content": f"{BLOCK}\n\nwhat is cat.png? see @notes.md",
    }


# --- refusals: nothing is sent --------------------------------------------------------------


def test_model_without_vision_is_refused_before_anything_is_sent(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    async def script(app: ChatApp) -> None:
        assert not await send_message(app, "describe cat.png")
        await run_command(app, "/image cat.png")
        assert app.pending == []
        assert app.conversation.messages == []

    printed = run_app(fake_server, tmp_path, script, model="qwen3")
    assert printed.count("qwen3 cannot see images (it has no vision capability)") == 2
    assert fake_server.chat_requests() == []


@pytest.mark.parametrize(
    ("text", "said"),
    [
        pytest.param("read @missing.md", "No such file: missing.md. Nothing was sent.", id="gone"),
        pytest.param("read @blob.bin", "blob.bin looks binary", id="binary"),
        pytest.param("read @big.md", "big.md is 300 kB, over the 200 kB limit", id="large"),
    ],
)
def test_a_file_that_cannot_be_attached_sends_nothing(
    fake_server: FakeServer, files: Path, tmp_path: Path, text: str, said: str
) -> None:
    (files / "big.md").write_text("x" * 300_000)

    async def script(app: ChatApp) -> None:
        assert not await send_message(app, text)
        assert app.conversation.messages == []

    printed = run_app(fake_server, tmp_path, script)
    assert said in printed
    assert fake_server.chat_requests() == []
    assert not (tmp_path / "sessions.db").exists() or stored(tmp_path)[1].list_sessions() == []


def test_image_command_errors_are_one_line_and_detach_drops_waiting_files(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    async def script(app: ChatApp) -> None:
        await run_command(app, "/image notes.md")
        await run_command(app, "/image nowhere.png")
        await run_command(app, "/file cat.png")  # an image given to /file is attached as one
        assert [a.name for a in app.pending] == ["cat.png"]
        await run_command(app, "/detach")
        assert app.pending == []
        assert await send_message(app, "hello")

    printed = run_app(fake_server, tmp_path, script)
    assert "notes.md is not an image (PNG, JPEG, WebP or GIF)" in printed
    assert "No such file: nowhere.png" in printed
    assert "Dropped 1 attachment; none is sent." in printed
    assert fake_server.last_chat()["messages"] == [{"role": "user", "content": "hello"}]


# --- saved, resumed, exported ---------------------------------------------------------------


def test_store_keeps_each_content_once_and_messages_refer_to_it(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    async def script(app: ChatApp) -> None:
        assert await send_message(app, "one cat.png")
        assert await send_message(app, "same cat.png with @notes.md")

    run_app(fake_server, tmp_path, script)
    with sqlite3.connect(tmp_path / "sessions.db") as conn:
        rows = conn.execute("SELECT hash, mime, size, length(data) FROM attachments").fetchall()
        refs = [json.loads(r[0]) for r in conn.execute("SELECT images FROM messages") if r[0]]
    assert sorted(rows) == sorted(
        [(h, "image/png", 64, 64) for h in [refs[0][0]["sha256"]]]
        + [(refs[1][1]["sha256"], "text/plain", len(NOTES), len(NOTES))]
    )
    assert refs[0] == [{"sha256": refs[0][0]["sha256"], "name": "cat.png"}]
    sid, store = stored(tmp_path)
    with store:
        first, _, second, _ = store.load_messages(sid)
    assert [(a.name, a.data) for a in first.attachments] == [("cat.png", PNG)]
    assert [a.name for a in second.attachments] == ["cat.png", "notes.md"]


def test_resume_shows_the_attachment_line_and_sends_the_files_again(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    async def first(app: ChatApp) -> None:
        assert await send_message(app, "what is cat.png? and @notes.md")

    run_app(fake_server, tmp_path, first)
    (files / "cat.png").unlink()  # resume needs the stored copy, not the file
    (files / "notes.md").unlink()
    sid, store = stored(tmp_path)
    store.close()

    async def resumed(app: ChatApp) -> None:
        await run_command(app, f"/resume {sid}")
        assert await send_message(app, "and now?")

    printed = run_app(fake_server, tmp_path, resumed)
    assert "📎 cat.png · 64 B 📎 notes.md · 19 B" in printed
    first_message = fake_server.last_chat()["messages"][0]
    assert first_message["images"] == [PNG_B64]
    assert first_message["content"].startswith("notes.md:\n```\n# Plan")


def test_export_and_import_keep_the_attachments(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    async def script(app: ChatApp) -> None:
        assert await send_message(app, "see cat.png and @notes.md")

    run_app(fake_server, tmp_path, script)
    sid, store = stored(tmp_path)
    with store:
        exported = export_json(store, sid)
        assert exported["messages"][0]["attachments"][0]["name"] == "cat.png"
        assert len(exported["attachments"]) == 2
        copy = import_json(store, json.loads(json.dumps(exported)))
        again = export_json(store, copy)
        (imported, _) = store.load_messages(copy)
        markdown = export_markdown(store, copy)
    assert {**again, "id": sid} == exported
    assert [(a.name, a.data) for a in imported.attachments] == [
        ("cat.png", PNG),
        ("notes.md", NOTES.encode()),
    ]
    assert "📎 cat.png · 64 B" in markdown and "- buy milk" in markdown


@pytest.mark.parametrize(
    ("change", "said"),
    [
        pytest.param({"data": base64.b64encode(b"other").decode()}, "SHA-256", id="hash"),
        pytest.param({"mime": "image/gif"}, "is not 'image/gif' data", id="mime"),
    ],
)
def test_import_refuses_attachments_that_do_not_match(
    fake_server: FakeServer, files: Path, tmp_path: Path, change: dict[str, str], said: str
) -> None:
    async def script(app: ChatApp) -> None:
        assert await send_message(app, "see cat.png")

    run_app(fake_server, tmp_path, script)
    sid, store = stored(tmp_path)
    with store:
        exported = export_json(store, sid)
        (digest,) = exported["attachments"]
        exported["attachments"][digest].update(change)
        with pytest.raises(Exception, match=said):
            import_json(store, exported)
        assert len(store.list_sessions()) == 1


# --- one-shot runs ---------------------------------------------------------------------------


def test_prompt_names_an_image_and_piped_text_joins_it(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    ran = termchat(
        "--host", fake_server.url, "-m", "gemma3", "-p", "describe cat.png",
        stdin="@notes.md is only text here\n", home=tmp_path,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    (message,) = fake_server.last_chat()["messages"]
    assert message == {
        "role": "user",
        "content": "describe cat.png\n\n@notes.md is only text here",
        "images": [PNG_B64],
    }
    assert "📎 cat.png · 64 B" in ran.stderr and "📎" not in ran.stdout


def test_prompt_naming_a_missing_file_exits_2_and_sends_nothing(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    ran = termchat(
        "--host", fake_server.url, "-m", "gemma3", "-p", "summarise @gone.md", home=tmp_path
    )
    assert ran.returncode == 2
    assert ran.stderr.strip() == "termchat: error: No such file: gone.md. Nothing was sent."
    assert fake_server.chat_requests() == []


def test_prompt_with_an_image_for_a_model_without_vision_exits_2(
    fake_server: FakeServer, files: Path, tmp_path: Path
) -> None:
    ran = termchat(
        "--host", fake_server.url, "-m", "qwen3", "-p", "describe cat.png", home=tmp_path
    )
    assert ran.returncode == 2
    (line,) = ran.stderr.splitlines()
    assert line.startswith("termchat: error: qwen3 cannot see images")
    assert "-m NAME picks one that can" in line and "/model" not in line
    assert fake_server.chat_requests() == []
