"""The slash commands: the one table of them (each declared once with its runner), /help, /exit,
and dispatch of a typed line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from termchat.commands import (
    attach,
    branches,
    chat,
    context,
    look,
    models,
    profiles,
    replies,
    search,
    session,
)
from termchat.commands.base import Command, CommandTable, is_command, unescape_message
from termchat.errors import TermchatError, UsageError
from termchat.keymap import help_rows

if TYPE_CHECKING:
    from termchat.app import ChatApp

__all__ = ["COMMANDS", "Exit", "is_command", "run_command", "unescape_message"]

KEYS_HELP = (
    ("Enter", "send the message"),
    ("Alt-Enter, Ctrl-J", "new line"),
    ('"""', "on its own line: start/end a multi-line message"),
    ("Ctrl-T", "show/hide reasoning (also while a reply streams)"),
    ("Ctrl-C", "stop the reply; at the prompt, clear the line"),
    ("Ctrl-D", "quit (on an empty line)"),
    ("Up/Down", "earlier messages"),
    ("Ctrl-R", "search them: Enter sends, Esc edits, Ctrl-G gives up"),
    ("Ctrl-X Ctrl-E", "edit the message in $EDITOR, then Enter sends (unchanged: nothing)"),
    ("Tab", "complete commands, model names, paths after @, /file, /image"),
    ("Paste", "more than 10 lines shows as [pasted N lines], sent whole"),
)


class Exit(Exception):
    """Raised by /exit to leave the REPL."""


def _described(command: Command) -> str:
    aliases = ", ".join("/" + a for a in command.aliases)
    return command.help + (f" (also {aliases})" if aliases else "")


async def cmd_help(app: ChatApp, args: str) -> None:
    # One row per command, keys on their own page: the whole answer fits a 35-row terminal.
    # Alone, it names every command by group (one row each, so that it fits however many
    # there are); `/help all` gives each its own row with what it does.
    topic = args.strip().lower().removeprefix("/")
    if not topic:
        rows = [
            (heading, "  ".join("/" + command.name for command in members))
            for heading, members in COMMANDS.groups
        ]
        app.renderer.table("Commands", ["", "commands"], rows)
        app.renderer.notice(
            "/help NAME: one command · /help all: what each does · /help keys: the keys"
        )
        return
    if topic == "all":
        rows = [("/" + command.name, _described(command)) for command in COMMANDS.commands]
        app.renderer.table("Commands", ["command", "what it does"], rows)
        return
    if topic == "keys":
        rows = help_rows(KEYS_HELP, app.config.keys, app.config.edit_mode)
        app.renderer.table("Keys", ["key", "what it does"], rows)
        return
    command = COMMANDS.find(topic)
    if command is None:
        raise UsageError(f"no command /{topic}")
    app.renderer.notice(f"{command.usage} — {_described(command)}")


def _help_topics(app: ChatApp) -> list[str]:
    return ["all", "keys", *(command.name for command in COMMANDS.commands)]


async def cmd_exit(app: ChatApp, args: str) -> None:
    raise Exit


HELP = (
    Command(
        "help",
        "/help [NAME|all|keys]",
        "Name the commands; how to use one; every command with what it does; the keys",
        cmd_help,
        aliases=("?",),
        completions=_help_topics,
    ),
    Command("exit", "/exit", "Leave termchat", cmd_exit, aliases=("bye", "quit", "q")),
)

COMMANDS = CommandTable(
    (),
    groups=(
        ("conversation", (*session.CONVERSATION, *branches.COMMANDS, *search.COMMANDS)),
        ("attach", attach.COMMANDS),
        ("replies", replies.COMMANDS),
        ("model", (*chat.COMMANDS, *models.COMMANDS)),
        ("context", context.COMMANDS),
        ("tools", session.TOOLS),
        ("settings", profiles.COMMANDS),
        ("screen", look.COMMANDS),
        ("termchat", HELP),
    ),
)
"""Every slash command, in the order /help lists them."""


async def run_command(app: ChatApp, line: str) -> None:
    """Parse and run one slash command; a user's mistake becomes a message, never a traceback.

    Raises:
        Exit: for /exit.
    """
    try:
        command, args = COMMANDS.parse(line)
        try:
            await command.run(app, args)
        except UsageError as exc:
            raise command.usage_error(exc) from None
    except TermchatError as exc:
        app.renderer.error(str(exc))
