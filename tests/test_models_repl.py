"""Pulling a missing model from the REPL: the `Pull NAME now? [Y/n]` question at start (typed
at through a pipe, in-process) and Ctrl-C stopping a slow download (in a real pty)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fakeserver import FakeServer
from prompt_toolkit.application.current import get_app_or_none
from terminal import Terminal
from test_repl import Running, run_repl, until


def dialog_up(r: Running) -> bool:
    """A question of its own (not the chat's prompt) waits for keys."""
    app = get_app_or_none()
    return app is not None and app is not r.repl.session.app and app.is_running


@pytest.mark.parametrize("answer", ["\r", "y", "n"])
def test_repl_started_with_a_missing_model_asks_to_pull_it(
    fake_server: FakeServer, answer: str
) -> None:
    async def scenario(r: Running) -> None:
        await until(lambda: "phi4-mini is not on the server." in r.printed())
        await until(lambda: dialog_up(r))  # asked at once, before anything is typed
        r.type(answer)
        if answer == "n":
            await until(lambda: "Not pulled." in r.printed())
            await r.prompt()
            assert fake_server.installed("phi4-mini") is None
            return
        await until(lambda: "Pulled phi4-mini." in r.printed())
        await r.prompt()
        assert "model not found" not in r.toolbar()
        r.type("hello\r")
        await r.requests(1)
        assert fake_server.last_chat()["model"] == "phi4-mini"
        assert "You said: hello" in r.printed()

    run_repl(fake_server, scenario, model="phi4-mini")


def test_repl_ctrl_c_cancels_a_slow_pull_and_the_chat_goes_on(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    fake_server.pull_delay = 0.3
    term = Terminal(["--host", fake_server.url, "-m", "phi4-mini"], home=tmp_path)
    try:
        term.wait_for("Pull phi4-mini now? [Y/n]")
        term.key("enter")
        # The bar: bytes so far of the total, the speed, the time left.
        term.wait_for(lambda: re.search(r"\d+(\.\d+)?/1\.0 GB", term.display()) is not None)
        term.wait_for(lambda: "/s" in term.display())
        term.key("ctrl-c")
        term.wait_for("pull cancelled: phi4-mini was not downloaded.")
        assert fake_server.wait_for_disconnect(5)  # the stream was closed, not left running
        term.wait_for(lambda: term.display().rstrip().endswith("/help"))
        assert "stopped at" in term.transcript()  # how far the layer got
        term.line("/model llama3.2")
        term.wait_for("Model: llama3.2")
        term.line("still here?")
        term.wait_for("You said: still here?")
        term.key("ctrl-d")
        assert term.wait_exit() == 0
        assert "Traceback" not in term.transcript()
    finally:
        term.close()
    assert fake_server.installed("phi4-mini") is None
