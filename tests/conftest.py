"""Shared pytest fixtures: the loopback fake Ollama server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakeserver import FakeServer


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
