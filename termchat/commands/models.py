"""The commands about the server's models: /models (the catalog) and /pull (a download)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from termchat.commands.base import Command
from termchat.errors import UsageError
from termchat.render.sanitize import name_text

if TYPE_CHECKING:
    from termchat.app import ChatApp


async def cmd_models(app: ChatApp, args: str) -> None:
    # on first use, as pulling below: the REPL loads every command's module at start-up
    from termchat.catalog import catalog_table, gather_catalog

    ollama = app.config.backend != "openai"
    catalog = await gather_catalog(app.backend, ollama=ollama, current=app.conversation.model)
    app.models_cache = [row.summary.name for row in catalog.rows]
    if not catalog.rows:
        hint = "Pull one with /pull NAME, e.g. /pull qwen3." if ollama else ""
        app.renderer.notice(f"The server has no models. {hint}".strip())
        return
    columns, rows = catalog_table(catalog)
    app.renderer.table("Models", columns, rows, whole=("name",))
    for problem in catalog.problems:
        app.renderer.warning(problem)


async def cmd_pull(app: ChatApp, args: str) -> None:
    if not args:
        raise UsageError()
    from termchat.pulling import pull_in_chat

    name = args.split()[0]
    if await pull_in_chat(app, name):
        shown = name_text(name)
        app.renderer.notice(f"Pulled {shown}. Switch to it with /model {shown}")


COMMANDS = (
    Command(
        "models",
        "/models",
        "The server's models: size, family, parameters, capabilities, loaded",
        cmd_models,
    ),
    Command(
        "pull",
        "/pull NAME",
        "Download a model with Ollama (Ctrl-C cancels)",
        cmd_pull,
    ),
)
