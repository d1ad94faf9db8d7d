"""The typer application: the chat command generated from the option table, `sessions`,
`models` and `pull`.

typer reads a function's signature, so the chat command's signature is built from
`CHAT_OPTIONS` (one typer.Option per row, with its names, metavar and help). The group hands
typer the command line as `read_args` split it (`Reading.spelled_out`), so typer cannot read
`-p -x`, `--think` alone or the prompt words differently from the fast path; typer adds
`--help`, the subcommands and the usage error messages.
"""

from __future__ import annotations

import inspect
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from termchat.cli import models, run
from termchat.cli.config_cmd import CHAT_VALUES, config_app
from termchat.cli.options import CHAT_OPTIONS, FLAG, LIST, SUBCOMMANDS, WORDS, Option, read_args
from termchat.cli.sessions import ArgumentsCommand, sessions
from termchat.cli.themes import themes_command
from termchat.errors import stderr_line


class ChatGroup(TyperGroup):
    """The top-level command: chat options, prompt words, or a subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Let typer parse what the table read; keep the prompt words for the callback."""
        reading = read_args(args)
        ctx.meta[WORDS] = reading.words
        parsed: list[str] = super().parse_args(ctx, reading.spelled_out())
        return parsed


app = typer.Typer(
    cls=ChatGroup,
    add_completion=False,
    no_args_is_help=False,
    invoke_without_command=True,
    subcommand_metavar="[PROMPT]... | COMMAND [ARGS]...",
    help=(
        "Chat with local language models (Ollama, OpenAI-compatible servers) in the terminal."
        "\n\n`termchat -m qwen3` opens a chat; `termchat -m qwen3 why is the sky blue` (or -p"
        " TEXT, or text on stdin) asks once and prints the answer."
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _parameter(option: Option) -> inspect.Parameter:
    """The typer parameter of one row of the table."""
    info = typer.Option(*option.names, help=option.help, metavar=option.metavar or None)
    annotation: Any
    default: Any = None
    if option.kind == FLAG:
        annotation, default = Annotated[bool, info], False
    elif option.kind == LIST:
        annotation = Annotated[list[str] | None, info]
    else:
        annotation = Annotated[str | None, info]
    return inspect.Parameter(
        option.dest, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def chat(ctx: typer.Context, **given: Any) -> None:
    """Chat with a model: `termchat -m qwen3`; ask once: `termchat -m qwen3 why is the sky blue`."""
    values: dict[str, object] = {
        o.dest: (given[o.dest] or []) if o.kind == LIST else given[o.dest] for o in CHAT_OPTIONS
    }
    values[WORDS] = list(ctx.meta.get(WORDS, []))
    if ctx.invoked_subcommand is not None and not given["version"]:
        ctx.obj = values  # `termchat --host URL models`: the server options reach it
        ctx.meta[CHAT_VALUES] = values  # `termchat -m x config show` shows the flags
        return
    raise typer.Exit(run(values))


chat.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        *(_parameter(option) for option in CHAT_OPTIONS),
    ]
)
app.callback()(chat)
app.add_typer(sessions, name="sessions")
app.command("models", cls=ArgumentsCommand)(models.models)
app.command("pull", cls=ArgumentsCommand)(models.pull)
app.add_typer(config_app, name="config")
app.command("themes")(themes_command)
assert set(SUBCOMMANDS) == {"sessions", "models", "pull", "config", "themes"}  # the fast path


def run_typer(args: list[str]) -> int:
    """Run the typer app on `args`; the exit status. A usage mistake is one line on stderr."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="termchat", standalone_mode=False)
    except typer.TyperException as error:  # click's usage errors, with their exit status (2)
        message = error.format_message()
        # A group called without its subcommand answers with its help: keep that as it is.
        sys.stderr.write(message.rstrip("\n") + "\n" if "\n" in message else stderr_line(message))
        return error.exit_code
    except typer.Abort:
        sys.stderr.write(stderr_line("aborted"))
        return 1
    return result if isinstance(result, int) else 0
