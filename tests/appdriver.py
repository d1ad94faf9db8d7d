"""ChatApps built in-process as launch.py builds them: run with a script, or idle for a command."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from pathlib import Path

from termchat.accumulator import Reply
from termchat.app import ChatApp
from termchat.backends.base import Backend
from termchat.backends.ollama import OllamaBackend
from termchat.cli.chat import ChatOptions
from termchat.config import Config, load_config
from termchat.frontend import Frontend, LiveView, PlainFrontend
from termchat.launch import make_backend
from termchat.render import Renderer
from termchat.session import session_for
from termchat.tools.toolbox import Toolbox


def write_config(home: Path, text: str) -> Path:
    """Write `text` as the config file in `home`, private as termchat wants it."""
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


class Watched:
    """A live view that also sets an event once answer text has arrived (no polling)."""

    def __init__(self, inner: LiveView, arrived: asyncio.Event) -> None:
        self.inner = inner
        self.arrived = arrived

    def update(self, reply: Reply) -> None:
        self.inner.update(reply)
        if reply.content_length:
            self.arrived.set()

    def refresh(self) -> None:
        self.inner.refresh()

    def set_show_thinking(self, show: bool) -> None:
        self.inner.set_show_thinking(show)

    def set_waiting(self, seconds: float | None) -> None:
        self.inner.set_waiting(seconds)

    def finish(self, reply: Reply, *, interrupted: bool = False, error: str | None = None) -> None:
        self.inner.finish(reply, interrupted=interrupted, error=error)

    def stop(self) -> None:
        self.inner.stop()


def idle_app(home: Path, renderer: Renderer) -> ChatApp:
    """A ChatApp printing through `renderer` that saves nothing and reaches no server (its
    host is a port nothing listens on): for commands that work on what it already holds."""
    cfg = Config(model="qwen3", home=home, save=False)
    return ChatApp(
        cfg,
        OllamaBackend("http://127.0.0.1:9"),
        renderer,
        session_for(cfg, renderer.warning),
        frontend=PlainFrontend(),
    )


def drive_app(
    config: Config,
    script: Callable[[ChatApp], Awaitable[None]],
    out: io.StringIO,
    *,
    width: int = 80,
    backend: Callable[[Config], Backend] = make_backend,
    frontend: Frontend | None = None,
    tools: Toolbox | None = None,
    arrived: asyncio.Event | None = None,
    interactive: bool = True,
) -> ChatApp:
    """Build a ChatApp from `config` (real HTTP, real SQLite), run `script` with it, close it.

    It prints into `out` through the real renderer; the frontend defaults to the plain one, as
    for a run without a prompt. With `arrived`, the event is set once answer text has come.
    """

    async def main() -> ChatApp:
        client = backend(config)
        renderer = Renderer(out, width=width, force_terminal=False)
        factory = None
        if arrived is not None:
            event = arrived

            def factory(model: str, show: bool) -> LiveView:
                return Watched(renderer.live_reply(model, show_thinking=show), event)

        session = session_for(config, renderer.warning)
        app = ChatApp(
            config,
            client,
            renderer,
            session,
            frontend=frontend or PlainFrontend(),
            tools=tools,
            live_factory=factory,
            interactive=interactive,
        )
        try:
            await script(app)
        finally:
            await client.aclose()
            session.close()
        return app

    return asyncio.run(main())


def run_chat(
    options: ChatOptions, script: Callable[[ChatApp, io.StringIO], Awaitable[None]]
) -> None:
    """A ChatApp wired as launch.py wires it, from the config file and `options`; `script` gets
    it and what it printed so far."""
    out = io.StringIO()
    drive_app(options.configure(load_config()), lambda app: script(app, out), out, width=120)
