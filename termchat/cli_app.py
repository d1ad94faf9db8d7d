"""The typer application: options, and the composition of backend, renderer, store and REPL."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from termchat import __version__
from termchat.config import load_config, parse_option, parse_think
from termchat.errors import ConfigError, TermchatError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    invoke_without_command=True,
    help="Chat with local language models (Ollama, OpenAI-compatible servers) in the terminal.",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error on stderr and return the Exit to raise."""
    sys.stderr.write(f"termchat: {message}\n")
    return typer.Exit(code)


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


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"termchat {__version__}\n")
        raise typer.Exit()


@app.callback()
def chat(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model name, e.g. qwen3")
    ] = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", "-p", help="Ask one question, print the answer, exit")
    ] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Server address (default $OLLAMA_HOST or 127.0.0.1:11434)"),
    ] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", help="ollama (default) or openai (a /v1 server)")
    ] = None,
    think: Annotated[
        str | None,
        typer.Option(
            "--think",
            help="Ask for reasoning: --think, or --think low|medium|high|max|auto",
        ),
    ] = None,
    no_think: Annotated[bool, typer.Option("--no-think", help="Ask for no reasoning")] = False,
    hide_thinking: Annotated[
        bool, typer.Option("--hide-thinking", help="Start with reasoning collapsed")
    ] = False,
    show_thinking: Annotated[
        bool, typer.Option("--show-thinking", help="Show reasoning (to stderr when piped)")
    ] = False,
    system: Annotated[str | None, typer.Option("--system", "-s", help="System prompt")] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Model option KEY=VALUE (repeatable)"),
    ] = None,
    theme: Annotated[str | None, typer.Option("--theme", help="Theme name or .toml path")] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Write one JSON object per event (non-interactive)")
    ] = False,
    tool: Annotated[
        list[str] | None, typer.Option("--tool", help="Enable a built-in tool (repeatable)")
    ] = None,
    tools_file: Annotated[
        list[str] | None,
        typer.Option("--tools-file", help="Python file whose functions become tools"),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve tool calls without asking")
    ] = False,
    continue_last: Annotated[
        bool, typer.Option("--continue", "-c", help="Resume the most recent conversation")
    ] = False,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume",
            "-r",
            help="Resume a conversation by id (prefix); without an id, pick one",
        ),
    ] = None,
    no_save: Annotated[
        bool, typer.Option("--no-save", help="Do not save this conversation")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version"),
    ] = False,
) -> None:
    """Chat with a model: `termchat -m qwen3`, or `termchat -m qwen3 -p "question"`."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        config = load_config()
        flags: dict[str, Any] = {
            "model": model,
            "host": host,
            "backend": backend,
            "system": system,
            "theme": theme,
        }
        if backend is not None and backend not in ("ollama", "openai"):
            raise ConfigError(f"--backend must be ollama or openai, not {backend!r}")
        if think is not None and no_think:
            raise ConfigError("--think and --no-think contradict each other")
        if think is not None:
            flags["think"] = parse_think(think)
        config = config.with_flags(**flags)
        if no_think:
            config.think = False
        if hide_thinking:
            config.show_thinking = False
        elif show_thinking:
            config.show_thinking = True
        for item in option or []:
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"--option needs KEY=VALUE, not {item!r}")
            config.options[key.strip()] = parse_option(key.strip(), value.strip())
        config.tools = list(dict.fromkeys([*config.tools, *(tool or [])]))
        config.tools_files = [*config.tools_files, *(tools_file or [])]
        if no_save:
            config.save = False
    except TermchatError as exc:
        raise fail(str(exc), 2) from None
    options = ChatOptions(
        prompt=prompt,
        json=json_out,
        yes=yes,
        show_thinking_flag=True if show_thinking else (False if hide_thinking else None),
        continue_last=continue_last,
        resume=resume,
        explicit=frozenset(
            name
            for name, given in (
                ("model", model is not None),
                ("system", system is not None),
                ("think", think is not None or no_think),
                ("options", bool(option)),
            )
            if given
        ),
    )
    from termchat.launch import run_chat

    code = run_chat(config, options)
    raise typer.Exit(code)


from termchat.cli_sessions import sessions  # noqa: E402

app.add_typer(sessions, name="sessions")
