"""Shared pytest fixtures: a private home for every test, the loopback fake Ollama server, and
the pseudo-terminals a test opens (closed after it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeServer
from terminal import Terminal

# Variables from the developer's own shell that would change what termchat does.
_FOREIGN = ("OLLAMA_", "OPENAI_", "TERMCHAT_", "NO_COLOR", "EDITOR", "VISUAL")


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own TERMCHAT_HOME and none of the caller's OLLAMA_*/OPENAI_* settings,
    so no test reads or writes real state, and none depends on the shell it was started from
    (TERM included)."""
    for name in list(os.environ):
        if name.startswith(_FOREIGN):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("termchat-home")
    monkeypatch.setenv("TERMCHAT_HOME", str(home))
    # The tests draw for a terminal: the runner's own TERM must not decide (bash sets it to
    # "dumb" when it is unset, and rich then draws nothing live, even when told it is a terminal).
    monkeypatch.setenv("TERM", "xterm-256color")
    return home


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A fresh fake Ollama/OpenAI server on 127.0.0.1, closed after the test."""
    server = FakeServer()
    try:
        yield server
    finally:
        server.close()
    assert not server.errors, server.errors


@pytest.fixture
def ollama_url(fake_server: FakeServer) -> str:
    """Base URL of the fake server's native API."""
    return fake_server.url


@pytest.fixture
def openai_url(fake_server: FakeServer) -> str:
    """Base URL of the fake server's OpenAI-compatible API (ends in /v1)."""
    return fake_server.openai_url


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    """The pseudo-terminals a test started (it appends them); each is closed after the test."""
    started: list[Terminal] = []
    yield started
    for term in started:
        term.close()


@pytest.fixture
def spawn(
    fake_server: FakeServer, tmp_path: Path, terminals: list[Terminal]
) -> Callable[..., Terminal]:
    """termchat in a real pseudo-terminal against the fake server (its home: tmp_path), given
    back once the prompt's toolbar shows; keyword arguments go to `Terminal`. Closed after the
    test. A test module whose terminals start differently defines its own `spawn`."""

    def start(*args: str, **kwargs: Any) -> Terminal:
        term = Terminal(["--host", fake_server.url, *args], home=tmp_path, **kwargs)
        terminals.append(term)
        term.wait_for("^D quit")
        return term

    return start
