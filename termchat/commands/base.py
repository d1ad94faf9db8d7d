"""A slash command as one declaration (name, usage, help, aliases, completions, runner), and the
pure parsing of a typed line into a command and its arguments."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from termchat.errors import CommandError, UsageError

if TYPE_CHECKING:
    from termchat.app import ChatApp

Runner = Callable[["ChatApp", str], Awaitable[None]]
"""Runs a command with the text after its name; raises UsageError for malformed arguments."""

Choices = tuple[str, ...] | Callable[["ChatApp"], Sequence[str]]
"""Completions for the first argument: fixed words, or computed from the app (e.g. model names)."""


@dataclass(frozen=True)
class Command:
    """One slash command, declared once: everything /help, completion and dispatch need."""

    name: str
    usage: str
    help: str
    run: Runner
    aliases: tuple[str, ...] = ()
    completions: Choices = ()

    def usage_error(self, error: UsageError) -> CommandError:
        """The message for a malformed call, built from this command's own usage."""
        detail = f" ({error})" if str(error) else ""
        return CommandError(f"Usage: {self.usage}{detail}")

    def choices(self, app: ChatApp) -> list[str]:
        """The words that complete this command's first argument."""
        return list(self.completions(app) if callable(self.completions) else self.completions)


Group = tuple[str, Sequence[Command]]
"""A heading of /help and the commands under it, in the order /help lists them."""


class CommandTable:
    """The commands by name and alias, in groups for /help."""

    def __init__(self, commands: Sequence[Command], groups: Sequence[Group] = ()) -> None:
        """Commands alone, or `groups` (their commands are added after `commands`)."""
        self.groups: tuple[tuple[str, tuple[Command, ...]], ...] = tuple(
            (heading, tuple(members)) for heading, members in groups
        )
        self.commands = tuple(commands) + tuple(c for _, members in self.groups for c in members)
        self._by_name: dict[str, Command] = {}
        for command in self.commands:
            for name in (command.name, *command.aliases):
                if name in self._by_name:
                    raise ValueError(f"/{name} is declared twice")
                self._by_name[name] = command

    def names(self) -> list[str]:
        """Every name and alias, with the slash, for completion."""
        return sorted("/" + name for name in self._by_name)

    def find(self, name: str) -> Command | None:
        """The command called `name` (without the slash), if any."""
        return self._by_name.get(name.lower())

    def parse(self, line: str) -> tuple[Command, str]:
        """Split `/name args` into the command and its argument text.

        Raises:
            CommandError: unknown command, with a suggestion.
        """
        body = line.strip()[1:]
        parts = body.split(maxsplit=1)
        name = parts[0].lower() if parts else ""
        args = parts[1].strip() if len(parts) > 1 else ""
        command = self._by_name.get(name)
        if command is None:
            close = difflib.get_close_matches(name, list(self._by_name), n=1)
            hint = f" Did you mean /{close[0]}?" if close else ""
            raise CommandError(f"Unknown command /{name}.{hint} Type /help for the list.")
        return command, args


def is_command(line: str) -> bool:
    """True when the line is meant as a slash command (not `//text` or a path like `/usr/x y`)."""
    stripped = line.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return False
    word = stripped[1:].split(maxsplit=1)[0] if len(stripped) > 1 else ""
    return "/" not in word


def unescape_message(line: str) -> str:
    """A message that starts with `//` is sent with one slash."""
    stripped = line.lstrip()
    return stripped[1:] if stripped.startswith("//") else line
