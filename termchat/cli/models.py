"""`termchat models` (the server's models as a table or JSON) and `termchat pull NAME`."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from typing import Annotated, Any

import typer

from termchat.cli.chat import ChatOptions
from termchat.cli.options import CHAT_OPTIONS
from termchat.config import Config, load_config
from termchat.errors import TermchatError, stderr_line
from termchat.render.sanitize import json_text, name_text, one_line

HostOption = Annotated[
    str | None,
    typer.Option("--host", metavar="URL", help="Server address (as for the chat)"),
]
BackendOption = Annotated[
    str | None,
    typer.Option("--backend", metavar="ollama|openai", help="ollama (default) or openai"),
]


def _config(ctx: typer.Context, host: str | None, backend: str | None) -> Config:
    """The Config of the chat options given before the subcommand, then its own --host and
    --backend (a bad value: one line on stderr, exit 2)."""
    values: dict[str, Any] = dict(ctx.obj or {})
    if not values:
        values = {option.dest: option.default() for option in CHAT_OPTIONS}
    if host is not None:
        values["host"] = host
    if backend is not None:
        values["backend"] = backend
    try:
        return ChatOptions.from_values(values).configure(load_config())
    except TermchatError as exc:
        sys.stderr.write(stderr_line(str(exc)))
        raise typer.Exit(exc.exit_code) from None


def _fail(error: TermchatError) -> typer.Exit:
    """A failure that may carry a server's words, said as one line free of control sequences."""
    sys.stderr.write(stderr_line(one_line(str(error))))
    return typer.Exit(error.exit_code)


def models(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON array, one object a model")
    ] = False,
    host: HostOption = None,
    backend: BackendOption = None,
) -> None:
    """List the server's models: size, family, parameters, quantization, capabilities, and
    whether each is loaded (Ollama); on an OpenAI-compatible server, what its /models says."""
    config = _config(ctx, host, backend)
    from termchat.catalog import catalog_json, catalog_table, gather_catalog
    from termchat.launch import make_backend

    async def ask() -> Any:
        server = make_backend(config)  # ConfigError for an address that cannot be one
        try:
            return await gather_catalog(server, ollama=config.backend != "openai")
        finally:
            await server.aclose()

    try:
        catalog = asyncio.run(ask())
    except TermchatError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    from termchat.render import Renderer

    if as_json:
        sys.stdout.write(json_text(catalog_json(catalog), indent=2) + "\n")
        return
    for problem in catalog.problems:
        sys.stderr.write(stderr_line(one_line(problem), "warning"))
    if not catalog.rows:
        sys.stdout.write("The server has no models. Pull one: termchat pull qwen3\n")
        return
    columns, rows = catalog_table(catalog)
    Renderer().table("Models", columns, rows, whole=("name",))


def pull(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The model, e.g. qwen3:8b")],
    host: HostOption = None,
) -> None:
    """Download a model with Ollama, with a progress bar per layer (Ctrl-C cancels).

    Exit status: 0 when it is pulled, 1 when the server refused (its reason on stderr),
    130 on Ctrl-C.
    """
    config = _config(ctx, host, None)
    if config.backend == "openai":
        raise _fail(TermchatError("An OpenAI-compatible server cannot download models."))
    raise typer.Exit(asyncio.run(_pull(config, name)))


async def _pull(config: Config, name: str) -> int:
    """Pull `name`; the exit status."""
    from termchat.launch import make_backend
    from termchat.pulling import CANCELLED, download, puller
    from termchat.render import Renderer

    screen = Renderer() if sys.stdout.isatty() else Renderer(file=sys.stderr)
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    stopped: list[bool] = []

    def on_interrupt() -> None:
        stopped.append(True)
        if task is not None:
            task.cancel()

    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    try:
        server = make_backend(config)
    except TermchatError as exc:  # a server address that cannot be one
        sys.stderr.write(stderr_line(str(exc)))
        return exc.exit_code
    try:
        pull = puller(server)
        assert pull is not None  # an Ollama backend
        await download(pull, name, screen)
    except asyncio.CancelledError:
        if not stopped:
            raise
        sys.stderr.write(stderr_line(f"{CANCELLED}: {name_text(name)} was not downloaded", ""))
        return 128 + signal.SIGINT
    except TermchatError as exc:
        sys.stderr.write(stderr_line(one_line(str(exc))))
        return exc.exit_code
    finally:
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGINT)
        await server.aclose()
    screen.notice(f"Pulled {name_text(name)}.")
    return 0
