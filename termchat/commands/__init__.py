"""The slash-command table and its parser (pure: text in, command and arguments out)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from termchat.errors import TermchatError


class CommandError(TermchatError):
    """An unknown or malformed slash command; never sent to the model."""


@dataclass(frozen=True)
class Command:
    """One slash command (what runs it is registered in handlers.py under its name)."""

    name: str
    usage: str
    help: str
    aliases: tuple[str, ...] = ()
    completions: tuple[str, ...] = ()


COMMANDS: tuple[Command, ...] = (
    Command("help", "/help", "Show commands and keys", aliases=("?",)),
    Command("exit", "/exit", "Leave termchat", aliases=("bye", "quit", "q")),
    Command("model", "/model [NAME]", "Switch model; without a name, list the models"),
    Command("models", "/models", "List the server's models"),
    Command(
        "think",
        "/think [on|off|auto|low|medium|high]",
        "Ask for reasoning or not (auto: the model decides)",
        completions=("on", "off", "auto", "low", "medium", "high"),
    ),
    Command("thinking", "/thinking [N]", "Print the full reasoning of the last (or Nth) reply"),
    Command(
        "system",
        "/system [TEXT|clear]",
        "Set, show or clear the system prompt",
        completions=("clear",),
    ),
    Command(
        "set",
        "/set [KEY VALUE]",
        "Set a model option (temperature, num_ctx, seed…); alone, show them",
        completions=("temperature", "num_ctx", "top_p", "top_k", "seed", "num_predict", "stop"),
    ),
    Command("unset", "/unset KEY", "Remove a model option"),
    Command("clear", "/clear", "Start the conversation over (same settings)"),
    Command("new", "/new", "Start a new saved conversation"),
    Command("retry", "/retry", "Regenerate the last reply (or resend an unanswered message)"),
    Command("alt", "/alt", "Cycle through the alternatives of the last reply"),
    Command("undo", "/undo", "Drop the last exchange"),
    Command("edit", "/edit", "Edit the last message in $EDITOR and send it as a new branch"),
    Command("stats", "/stats", "Full timing of the last reply"),
    Command("title", "/title TEXT", "Rename this conversation"),
    Command("resume", "/resume [ID]", "Open a saved conversation"),
    Command("incognito", "/incognito", "Stop saving this conversation"),
    Command(
        "tools",
        "/tools [enable|disable NAME]",
        "List tools, or enable/disable one",
        completions=("enable", "disable"),
    ),
    Command("pull", "/pull NAME", "Download a model with Ollama"),
)

_BY_NAME: dict[str, Command] = {}
for _command in COMMANDS:
    _BY_NAME[_command.name] = _command
    for _alias in _command.aliases:
        _BY_NAME[_alias] = _command


def is_command(line: str) -> bool:
    """True when the line is meant as a slash command (not `//text` or a path like `/usr/x y`)."""
    stripped = line.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return False
    word = stripped[1:].split(maxsplit=1)[0] if len(stripped) > 1 else ""
    return "/" not in word


def parse_command(line: str) -> tuple[Command, str]:
    """Split `/name args` into the command and its argument text.

    Raises:
        CommandError: unknown command, with a suggestion.
    """
    stripped = line.strip()
    body = stripped[1:]
    parts = body.split(maxsplit=1)
    name = parts[0].lower() if parts else ""
    args = parts[1].strip() if len(parts) > 1 else ""
    command = _BY_NAME.get(name)
    if command is None:
        close = difflib.get_close_matches(name, list(_BY_NAME), n=1)
        hint = f" Did you mean /{close[0]}?" if close else ""
        raise CommandError(f"Unknown command /{name}.{hint} Type /help for the list.")
    return command, args


def command_names() -> list[str]:
    """Every name and alias, with the slash, for completion."""
    return sorted("/" + name for name in _BY_NAME)


def unescape_message(line: str) -> str:
    """A message that starts with `//` is sent with one slash."""
    stripped = line.lstrip()
    return stripped[1:] if stripped.startswith("//") else line
