"""The chat command without typer: its flags, a fast parser for them, and the start of a chat.

typer builds a pydantic validator for every option it parses (about 0.1 s for the chat
command, plus 0.08 s to import pydantic), which is most of the REPL's start-up budget. So
`cli.main` first tries `parse_chat_args`, which knows exactly the chat command's options (a
test checks them against the typer command); anything else — `--help`, a subcommand, an
unknown or malformed option — goes to typer, which also produces the error messages.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from termchat.config import load_config, parse_option, parse_think
from termchat.errors import ConfigError, TermchatError

# option name -> parameter name of the chat command (cli_app.chat)
VALUE_OPTIONS = {
    "--model": "model",
    "-m": "model",
    "--prompt": "prompt",
    "-p": "prompt",
    "--host": "host",
    "--backend": "backend",
    "--think": "think",
    "--system": "system",
    "-s": "system",
    "--theme": "theme",
    "--resume": "resume",
    "-r": "resume",
}
LIST_OPTIONS = {
    "--option": "option",
    "-o": "option",
    "--tool": "tool",
    "--tools-file": "tools_file",
}
FLAG_OPTIONS = {
    "--no-think": "no_think",
    "--hide-thinking": "hide_thinking",
    "--show-thinking": "show_thinking",
    "--json": "json_out",
    "--yes": "yes",
    "-y": "yes",
    "--continue": "continue_last",
    "-c": "continue_last",
    "--no-save": "no_save",
}


@dataclass
class ChatFlags:
    """The chat command's flags as given (None / False / empty: not given)."""

    model: str | None = None
    prompt: str | None = None
    host: str | None = None
    backend: str | None = None
    think: str | None = None
    no_think: bool = False
    hide_thinking: bool = False
    show_thinking: bool = False
    system: str | None = None
    option: list[str] = field(default_factory=list)
    theme: str | None = None
    json_out: bool = False
    tool: list[str] = field(default_factory=list)
    tools_file: list[str] = field(default_factory=list)
    yes: bool = False
    continue_last: bool = False
    resume: str | None = None
    no_save: bool = False


@dataclass
class ChatOptions:
    """Flags of the chat command that are not plain Config fields."""

    prompt: str | None = None
    json: bool = False
    yes: bool = False
    show_thinking_flag: bool | None = None
    continue_last: bool = False
    resume: str | None = None
    explicit: frozenset[str] = frozenset()


def parse_chat_args(args: list[str]) -> ChatFlags | None:
    """The flags, when `args` are only well-formed chat options; None sends them to typer.

    Accepts what typer accepts for these options: `--name value`, `--name=value`, `-x value`,
    repeated options (the last value wins; list options collect).
    """
    values: dict[str, Any] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in FLAG_OPTIONS:
            values[FLAG_OPTIONS[arg]] = True
            continue
        name, equals, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        dest = VALUE_OPTIONS.get(name) or LIST_OPTIONS.get(name)
        if dest is None:
            return None
        if equals:
            value = inline
        elif index < len(args):
            value = args[index]
            index += 1
        else:
            return None
        if name in LIST_OPTIONS:
            values.setdefault(dest, []).append(value)
        else:
            values[dest] = value
    return ChatFlags(**values)


def start_chat(flags: ChatFlags) -> int:
    """Build the config from the flags and run the chat; the exit status.

    A bad flag value prints one line on stderr and returns 2.
    """
    try:
        config = load_config()
        given: dict[str, Any] = {
            "model": flags.model,
            "host": flags.host,
            "backend": flags.backend,
            "system": flags.system,
            "theme": flags.theme,
        }
        if flags.backend is not None and flags.backend not in ("ollama", "openai"):
            raise ConfigError(f"--backend must be ollama or openai, not {flags.backend!r}")
        if flags.think is not None and flags.no_think:
            raise ConfigError("--think and --no-think contradict each other")
        if flags.think is not None:
            given["think"] = parse_think(flags.think)
        config = config.with_flags(**given)
        if flags.no_think:
            config.think = False
        if flags.hide_thinking:
            config.show_thinking = False
        elif flags.show_thinking:
            config.show_thinking = True
        for item in flags.option:
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"--option needs KEY=VALUE, not {item!r}")
            config.options[key.strip()] = parse_option(key.strip(), value.strip())
        config.tools = list(dict.fromkeys([*config.tools, *flags.tool]))
        config.tools_files = [*config.tools_files, *flags.tools_file]
        if flags.no_save:
            config.save = False
    except TermchatError as exc:
        sys.stderr.write(f"termchat: {exc}\n")
        return 2
    options = ChatOptions(
        prompt=flags.prompt,
        json=flags.json_out,
        yes=flags.yes,
        show_thinking_flag=(
            True if flags.show_thinking else (False if flags.hide_thinking else None)
        ),
        continue_last=flags.continue_last,
        resume=flags.resume,
        explicit=frozenset(
            name
            for name, given_flag in (
                ("model", flags.model is not None),
                ("system", flags.system is not None),
                ("think", flags.think is not None or flags.no_think),
                ("options", bool(flags.option)),
            )
            if given_flag
        ),
    )
    from termchat.launch import run_chat

    return run_chat(config, options)
