"""Attachments at the prompt: Tab completes paths after @, /file and /image (in-process REPL);
a refused message comes back to the prompt; and in a real pseudo-terminal the 📎 line shows
when the message is sent and again when the conversation is resumed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakeserver import FakeServer
from terminal import Terminal
from test_repl import Running, run_repl, until

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(48))


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "cat.png").write_bytes(PNG)
    (work / "my cat.png").write_bytes(PNG)
    (work / "notes.md").write_text("# Plan\n")
    (work / "docs").mkdir()
    (work / "docs" / "intro.md").write_text("hello\n")
    monkeypatch.chdir(work)
    return work


def test_repl_tab_completes_a_path_after_at_and_sends_the_file(
    fake_server: FakeServer, files: Path
) -> None:
    async def scenario(r: Running) -> None:
        r.type("summarise @no\t")
        await until(lambda: r.buffer() == "summarise @notes.md")
        r.type(" and @do\t")
        await until(lambda: r.buffer() == "summarise @notes.md and @docs/")
        r.type("\t")
        await until(lambda: r.buffer() == "summarise @notes.md and @docs/intro.md")
        r.type("\r")
        await r.requests(1)
        assert r.sent() == [
            "notes.md:\n```\n# Plan\n```\n\ndocs/intro.md:\n```\nhello\n```\n\n"
            "summarise @notes.md and @docs/intro.md"
        ]
        assert "📎 notes.md · 7 B 📎 docs/intro.md · 6 B" in r.printed()

    run_repl(fake_server, scenario)


def test_repl_tab_completes_paths_after_file_and_image_quoting_spaces(
    fake_server: FakeServer, files: Path
) -> None:
    async def scenario(r: Running) -> None:
        r.type("/file no\t")
        await until(lambda: r.buffer() == "/file notes.md")
        r.type("\x15")  # Ctrl-U clears the line
        await until(lambda: r.buffer() == "")
        r.type("/image my\t")
        await until(lambda: r.buffer() == '/image "my cat.png"')
        r.type(" what is it?\r")
        await r.requests(1)
        assert r.server.last_chat()["messages"][-1]["images"]

    run_repl(fake_server, scenario, model="gemma3")


def test_repl_a_refused_message_comes_back_to_the_prompt(
    fake_server: FakeServer, files: Path
) -> None:
    async def scenario(r: Running) -> None:
        r.type("describe cat.png please\r")
        await until(lambda: "qwen3 cannot see images" in r.printed())
        await until(lambda: r.buffer() == "describe cat.png please")
        r.type("\x15read @gone.md\r")
        await until(lambda: "No such file: gone.md. Nothing was sent." in r.printed())
        await until(lambda: r.buffer() == "read @gone.md")
        assert r.server.chat_requests() == []
        assert r.app.conversation.messages == []

    run_repl(fake_server, scenario)


# --- a real terminal ------------------------------------------------------------------------


def test_pty_attachment_line_when_sent_and_on_resume(
    fake_server: FakeServer, tmp_path: Path, terminals: list[Terminal]
) -> None:
    (tmp_path / "cat.png").write_bytes(PNG)  # the terminal's working directory is its home
    (tmp_path / "notes.md").write_text("x" * 4100)
    term = Terminal(["--host", fake_server.url, "-m", "gemma3"], home=tmp_path)
    terminals.append(term)
    term.wait_for("^D quit")
    term.type("what is cat.png? see @no")
    term.type("\t")
    term.wait_for("see @notes.md")
    term.type("\r")
    term.wait_for("📎 cat.png · 64 B")
    term.wait_for("📎 notes.md · 4.1 kB")
    term.wait_for("#1 · gemma3")
    term.type("\x04")
    assert term.wait_exit() == 0
    (tmp_path / "cat.png").unlink()
    again = Terminal(["--host", fake_server.url, "--continue"], home=tmp_path)
    terminals.append(again)
    again.wait_for("^D quit")
    screen = again.transcript()
    assert "what is cat.png? see @notes.md" in screen
    assert "📎 cat.png · 64 B" in screen and "📎 notes.md · 4.1 kB" in screen
    again.type("and now?\r")
    again.wait_for("#2 · gemma3")
    first = fake_server.last_chat()["messages"][0]
    assert len(first["images"]) == 1 and first["content"].startswith("notes.md:\n```\nxxxx")
