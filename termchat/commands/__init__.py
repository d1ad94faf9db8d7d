"""The slash commands: the one table of them (each declared once with its runner), /help, /exit,
and dispatch of a typed line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from termchat.commands import chat, session
from termchat.commands.base import Command, CommandTable, is_command, unescape_message
from termchat.errors import TermchatError, UsageError

if TYPE_CHECKING:
    from termchat.app import ChatApp

__all__ = ["COMMANDS", "Exit", "is_command", "run_command", "unescape_message"]

KEYS_HELP = (
    ("Enter", "send the message"),
    ("Alt-Enter, Esc Enter, Ctrl-J", "new line"),
    ('"""', "on its own line: start/end a multi-line message"),
    ("Ctrl-T", "show/hide reasoning (also while a reply streams)"),
    ("Ctrl-C", "stop the reply; at the prompt, clear the line"),
    ("Ctrl-D", "quit (on an empty line)"),
    ("Up/Down, Ctrl-R", "history, search history"),
    ("Ctrl-X Ctrl-E", "edit the message in $EDITOR"),
    ("Tab", "complete commands and model names"),
)


class Exit(Exception):
    """Raised by /exit to leave the REPL."""


async def cmd_help(app: ChatApp, args: str) -> None:
    rows = []
    for command in COMMANDS.commands:
        aliases = ", ".join("/" + a for a in command.aliases)
        rows.append((command.usage, command.help + (f" (also {aliases})" if aliases else "")))
    app.renderer.table("Commands", ["command", "what it does"], rows)
    app.renderer.table("Keys", ["key", "what it does"], list(KEYS_HELP))


async def cmd_exit(app: ChatApp, args: str) -> None:
    raise Exit


COMMANDS = CommandTable(
    (
        Command("help", "/help", "Show commands and keys", cmd_help, aliases=("?",)),
        Command("exit", "/exit", "Leave termchat", cmd_exit, aliases=("bye", "quit", "q")),
        *chat.COMMANDS,
        *session.COMMANDS,
    )
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
