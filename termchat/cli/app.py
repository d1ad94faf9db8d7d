"""The typer application: options, and the composition of backend, renderer, store and REPL."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from termchat import __version__
from termchat.cli.chat import ChatFlags, start_chat

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    invoke_without_command=True,
    help="Chat with local language models (Ollama, OpenAI-compatible servers) in the terminal.",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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
    flags = ChatFlags(
        model=model,
        prompt=prompt,
        host=host,
        backend=backend,
        think=think,
        no_think=no_think,
        hide_thinking=hide_thinking,
        show_thinking=show_thinking,
        system=system,
        option=list(option or []),
        theme=theme,
        json_out=json_out,
        tool=list(tool or []),
        tools_file=list(tools_file or []),
        yes=yes,
        continue_last=continue_last,
        resume=resume,
        no_save=no_save,
    )
    raise typer.Exit(start_chat(flags))


from termchat.cli.sessions import sessions  # noqa: E402

app.add_typer(sessions, name="sessions")
