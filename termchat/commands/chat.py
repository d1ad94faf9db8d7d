"""What each slash command does, given the ChatApp (the table itself is in commands.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from termchat.app import ChatApp, Exit
from termchat.commands import COMMANDS, Command, parse_command
from termchat.config import OPTION_TYPES, format_think, parse_option, parse_think
from termchat.errors import BackendError, ConfigError, ServerError, TermchatError

Handler = Callable[[ChatApp, str], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}

KEYS_HELP = [
    ("Enter", "send the message"),
    ("Alt-Enter, Esc Enter, Ctrl-J", "new line"),
    ('"""', "on its own line: start/end a multi-line message"),
    ("Ctrl-T", "show/hide reasoning (also while a reply streams)"),
    ("Ctrl-C", "stop the reply; at the prompt, clear the line"),
    ("Ctrl-D", "quit (on an empty line)"),
    ("Up/Down, Ctrl-R", "history, search history"),
    ("Ctrl-X Ctrl-E", "edit the message in $EDITOR"),
    ("Tab", "complete commands and model names"),
]


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register the function that runs /name."""

    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


async def run_command(app: ChatApp, line: str) -> None:
    """Parse and run one slash command; a user's mistake becomes a message, never a traceback.

    Raises:
        Exit: for /exit.
    """
    try:
        command, args = parse_command(line)
        await HANDLERS[command.name](app, args)
    except Exit:
        raise
    except TermchatError as exc:
        app.renderer.error(str(exc))


def _usage(command_name: str) -> str:
    command: Command = next(c for c in COMMANDS if c.name == command_name)
    return f"Usage: {command.usage}"


@handler("help")
async def cmd_help(app: ChatApp, args: str) -> None:
    rows = []
    for command in COMMANDS:
        aliases = ", ".join("/" + a for a in command.aliases)
        rows.append((command.usage, command.help + (f" (also {aliases})" if aliases else "")))
    app.renderer.table("Commands", ["command", "what it does"], rows)
    app.renderer.table("Keys", ["key", "what it does"], KEYS_HELP)


@handler("exit")
async def cmd_exit(app: ChatApp, args: str) -> None:
    raise Exit


@handler("models")
async def cmd_models(app: ChatApp, args: str) -> None:
    models = await app.backend.list_models()
    app.models_cache = [m.name for m in models]
    if not models:
        app.renderer.notice("The server has no models. Pull one: ollama pull qwen3")
        return
    rows = []
    for m in models:
        size = f"{m.size / 1e9:.1f} GB" if m.size else ""
        mark = "●" if _same_model(m.name, app.conversation.model) else ""
        rows.append((mark, m.name, m.parameter_size or "", m.quantization or "", size))
    app.renderer.table("Models", ["", "name", "params", "quant", "size"], rows)


def _same_model(a: str, b: str) -> bool:
    def norm(name: str) -> str:
        return name if ":" in name else name + ":latest"

    return bool(a and b) and norm(a) == norm(b)


@handler("model")
async def cmd_model(app: ChatApp, args: str) -> None:
    if not args:
        await cmd_models(app, args)
        return
    name = args.split()[0]
    try:
        info = await app.backend.show(name)
    except BackendError as exc:
        app.renderer.error(str(exc))
        return
    app.set_model(name, info)
    app.save_settings(model=name)
    caps = ", ".join(sorted(info.capabilities)) or "unknown"
    app.renderer.notice(f"Model: {name} ({caps})")


@handler("think")
async def cmd_think(app: ChatApp, args: str) -> None:
    conv = app.conversation
    if not args:
        app.renderer.notice(f"Thinking: {format_think(conv.think)} ({app.status()})")
        return
    conv.think = parse_think(args)
    if conv.info is not None and not conv.info.thinks and conv.think not in (None, False):
        app.renderer.warning(
            f"{conv.model} does not support thinking; the setting applies "
            "when you switch to a model that does."
        )
    app.save_settings(think=conv.think)
    app.frontend.changed()
    app.renderer.notice(f"Thinking: {format_think(conv.think)}")


@handler("thinking")
async def cmd_thinking(app: ChatApp, args: str) -> None:
    replies = app.conversation.replies()
    if not replies:
        app.renderer.notice("No reply yet.")
        return
    if args:
        try:
            number = int(args)
        except ValueError:
            raise ConfigError(_usage("thinking")) from None
        if not 1 <= number <= len(replies):
            raise ConfigError(f"There are {len(replies)} replies; pick 1 to {len(replies)}.")
        reply = replies[number - 1]
    else:
        reply = replies[-1]
    if not reply.thinking:
        app.renderer.notice("That reply has no reasoning.")
        return
    app.renderer.thinking_full(reply.thinking)


@handler("system")
async def cmd_system(app: ChatApp, args: str) -> None:
    conv = app.conversation
    if not args:
        if conv.system:
            app.renderer.notice("System prompt:")
            app.renderer.markdown(conv.system)
        else:
            app.renderer.notice("No system prompt. Set one with /system TEXT.")
        return
    conv.system = None if args == "clear" else args
    app.save_settings(system=conv.system)
    app.renderer.notice("System prompt cleared." if conv.system is None else "System prompt set.")


@handler("set")
async def cmd_set(app: ChatApp, args: str) -> None:
    conv = app.conversation
    if not args:
        if not conv.options:
            app.renderer.notice("No options set. Known: " + ", ".join(sorted(OPTION_TYPES)))
            return
        rows = [(k, str(v)) for k, v in sorted(conv.options.items())]
        app.renderer.table("Options", ["option", "value"], rows)
        return
    parts = args.split(maxsplit=1)
    if len(parts) != 2:
        raise ConfigError(_usage("set"))
    key, value = parts[0], parts[1]
    conv.options[key] = parse_option(key, value)
    app.save_settings(options=dict(conv.options))
    app.renderer.notice(f"{key} = {conv.options[key]}")


@handler("unset")
async def cmd_unset(app: ChatApp, args: str) -> None:
    conv = app.conversation
    if args not in conv.options:
        raise ConfigError(f"Option {args!r} is not set." if args else _usage("unset"))
    del conv.options[args]
    app.save_settings(options=dict(conv.options))
    app.renderer.notice(f"{args} unset")


@handler("stats")
async def cmd_stats(app: ChatApp, args: str) -> None:
    reply = app.conversation.last_reply()
    if reply is None or reply.stats is None:
        app.renderer.notice("No finished reply yet.")
        return
    app.renderer.stats_table(reply.model or app.conversation.model, reply.stats)


@handler("pull")
async def cmd_pull(app: ChatApp, args: str) -> None:
    if not args:
        raise ConfigError(_usage("pull"))
    pull = getattr(app.backend, "pull", None)
    if pull is None:
        raise ConfigError("This server cannot pull models (only Ollama can).")
    name = args.split()[0]
    try:
        await _show_pull(app, pull(name))
    except ServerError as exc:
        app.renderer.error(f"Pull of {name} failed: {exc.server_message}")
        return
    if name not in app.models_cache:
        app.models_cache.append(name)
    app.renderer.notice(f"Pulled {name}. Switch to it with /model {name}")


async def _show_pull(app: ChatApp, progresses: Any) -> None:
    last = ("", -1)
    async for progress in progresses:
        # One line per status, and per quarter of a layer's download: readable in scrollback.
        quarter = -1
        if progress.total and progress.completed is not None:
            quarter = min(progress.completed * 4 // max(progress.total, 1), 4)
        if (progress.status, quarter) != last:
            percent = f" {quarter * 25}%" if quarter >= 0 else ""
            app.renderer.notice(f"{progress.status}{percent}")
            last = (progress.status, quarter)


# The session commands live in their own module; importing it registers them here.
from termchat.commands import session  # noqa: E402, F401
