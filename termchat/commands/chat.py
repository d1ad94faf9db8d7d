"""The commands about the model and its settings: /model, /think, /system, /set, /info, /stats…"""

from __future__ import annotations

from termchat.app import ChatApp
from termchat.commands.base import Command
from termchat.commands.look import reply_number
from termchat.commands.models import cmd_models
from termchat.config import OPTION_TYPES, format_think, parse_option, parse_think
from termchat.errors import BackendError, CommandError, ModelNotFound, UsageError
from termchat.keymap import effective_keys, keys_label
from termchat.render.sanitize import name_text


async def cmd_model(app: ChatApp, args: str) -> None:
    if not args:
        await cmd_models(app, args)
        return
    name = args.split()[0]
    try:
        info = await app.backend.show(name)
    except ModelNotFound as exc:
        from termchat.pulling import offer_pull, offers_pull  # on first use, as in app.py

        if not offers_pull(app):
            app.renderer.error(str(exc))
            return
        if not await offer_pull(app, name):
            return  # declined, failed or cancelled: said on screen
        info = await app.backend.show(name)
    except BackendError as exc:
        app.renderer.error(str(exc))
        return
    app.set_model(name, info)
    app.session.change_settings(model=name)
    caps = ", ".join(sorted(info.capabilities)) or "unknown"
    app.renderer.notice(f"Model: {name} ({caps})")


async def cmd_think(app: ChatApp, args: str) -> None:
    conv = app.conversation
    if not args:
        app.renderer.notice(_think_state(app))
        return
    conv.think = parse_think(args)
    if conv.info is not None and not conv.info.thinks and conv.think not in (None, False):
        app.renderer.warning(
            f"{conv.model} does not support thinking; the setting applies "
            "when you switch to a model that does."
        )
    app.session.change_settings(think=conv.think)
    app.frontend.changed()
    app.renderer.notice(f"Thinking: {format_think(conv.think)}")


def _think_state(app: ChatApp) -> str:
    """/think alone: what is asked of the model, and whether its reasoning is shown."""
    conv = app.conversation
    asked = {
        "auto": "the model decides whether to reason",
        "on": "reasoning is asked for",
        "off": "no reasoning is asked for",
    }.get(format_think(conv.think), f"reasoning at level {format_think(conv.think)}")
    if conv.info is not None and not conv.info.thinks:
        asked = f"{conv.model} cannot reason"
    key = keys_label(effective_keys(app.config.keys, app.config.edit_mode)["toggle_thinking"])
    shown = f"shown ({key} hides it)" if app.show_thinking else f"hidden ({key} shows it)"
    return f"Thinking: {format_think(conv.think)} — {asked}; reasoning is {shown}."


async def cmd_thinking(app: ChatApp, args: str) -> None:
    replies = app.conversation.replies()
    if not replies:
        app.renderer.notice("No reply yet.")
        return
    reply = replies[reply_number(replies, args) - 1] if args else replies[-1]
    if not reply.thinking:
        app.renderer.notice("That reply has no reasoning.")
        return
    app.renderer.thinking_full(reply.thinking)


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
    app.session.change_settings(system=conv.system)
    app.renderer.notice("System prompt cleared." if conv.system is None else "System prompt set.")


def option_text(value: object) -> str:
    """An option's value as typed: `stop` lists as `a | b`, never as a Python list."""
    if isinstance(value, list):
        return " | ".join(str(item) for item in value)
    return str(value)


async def cmd_set(app: ChatApp, args: str) -> None:
    conv = app.conversation
    if not args:
        if not conv.options:
            app.renderer.notice("No options set. Known: " + ", ".join(sorted(OPTION_TYPES)))
            return
        rows = [(k, option_text(v)) for k, v in sorted(conv.options.items())]
        app.renderer.table("Options", ["option", "value"], rows)
        return
    parts = args.split(maxsplit=1)
    word = parts[0].lower()
    # The spellings `ollama run` users type: /set parameter KEY VALUE, /set think, /set nothink,
    # /set system TEXT.
    if word in ("think", "nothink") and len(parts) == 1:
        await cmd_think(app, "on" if word == "think" else "off")
        return
    if word == "system" and len(parts) == 2:
        await cmd_system(app, parts[1])
        return
    if word == "interrupted" and len(parts) == 2:
        from termchat.commands.replies import set_interrupted

        set_interrupted(app, parts[1])
        return
    if word == "parameter":
        parts = parts[1].split(maxsplit=1) if len(parts) == 2 else []
    if len(parts) != 2:
        raise UsageError()
    key, value = parts[0], parts[1]
    conv.options[key] = parse_option(key, value)
    app.session.change_settings(options=dict(conv.options))
    if key == "num_ctx":
        app.context.changed()
    app.renderer.notice(f"{key} = {option_text(conv.options[key])}")


async def cmd_unset(app: ChatApp, args: str) -> None:
    conv = app.conversation
    if not args:
        raise UsageError()
    if args not in conv.options:
        raise CommandError(f"Option {args!r} is not set.")
    del conv.options[args]
    app.session.change_settings(options=dict(conv.options))
    if args == "num_ctx":
        app.context.changed()
    app.renderer.notice(f"{args} unset")


async def cmd_info(app: ChatApp, args: str) -> None:
    conv = app.conversation
    if not conv.model:
        app.renderer.notice("No model chosen. Use /model NAME.")
        return
    info = await app.model_info()
    rows: list[tuple[str, str]] = [("model", name_text(conv.model))]
    if info is not None:
        for label, value in (
            ("family", info.family),
            ("parameters", info.parameter_size),
            ("quantization", info.quantization),
            ("context length", f"{info.context_length:,}" if info.context_length else None),
            ("capabilities", ", ".join(sorted(info.capabilities))),
        ):
            if value:
                rows.append((label, value))
    await app.context.refresh()
    rows.extend(app.context.describe())
    rows.append(("thinking", format_think(conv.think)))
    rows.extend((key, option_text(value)) for key, value in sorted(conv.options.items()))
    app.renderer.table("Model", ["", ""], rows)


async def cmd_show(app: ChatApp, args: str) -> None:
    what = args.lower()
    if what == "info":
        await cmd_info(app, "")
    elif what == "system":
        await cmd_system(app, "")
    elif what in ("parameters", "options"):
        await cmd_set(app, "")
    else:
        raise UsageError()


async def cmd_stats(app: ChatApp, args: str) -> None:
    reply = app.conversation.last_reply()
    if reply is None or reply.stats is None:
        app.renderer.notice("No finished reply yet.")
        return
    app.renderer.stats_table(reply.model or app.conversation.model, reply.stats)
    context = app.context.describe()
    if context:
        app.renderer.notice(" · ".join(f"{label}: {value}" for label, value in context))


COMMANDS = (
    Command(
        "model",
        "/model [NAME]",
        "Switch model; without a name, list the models",
        cmd_model,
        completions=lambda app: app.models_cache,
    ),
    Command(
        "think",
        "/think [on|off|auto|low|medium|high]",
        "Ask for reasoning or not (auto: the model decides)",
        cmd_think,
        completions=("on", "off", "auto", "low", "medium", "high"),
    ),
    Command(
        "thinking",
        "/thinking [N]",
        "Print the full reasoning of the last (or Nth) reply",
        cmd_thinking,
    ),
    Command(
        "system",
        "/system [TEXT|clear]",
        "Set, show or clear the system prompt",
        cmd_system,
        completions=("clear",),
    ),
    Command(
        "set",
        "/set [KEY VALUE]",
        "Set a model option (temperature, num_ctx, seed…); alone, show them; also "
        "/set parameter KEY VALUE, /set think, /set nothink",
        cmd_set,
        completions=(
            "temperature",
            "num_ctx",
            "top_p",
            "top_k",
            "seed",
            "num_predict",
            "stop",
            "parameter",
            "think",
            "nothink",
            "interrupted",
        ),
    ),
    Command(
        "unset",
        "/unset KEY",
        "Remove a model option",
        cmd_unset,
        completions=lambda app: sorted(app.conversation.options),
    ),
    Command(
        "info", "/info", "The model: family, size, context length, capabilities, options", cmd_info
    ),
    Command(
        "show",
        "/show info|system|parameters",
        "As in ollama run: /info, /system, /set",
        cmd_show,
        completions=("info", "system", "parameters"),
    ),
    Command("stats", "/stats", "Full timing of the last reply", cmd_stats),
)
