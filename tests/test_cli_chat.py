"""The typer-free chat parser: same options and same values as the typer command, or a pass."""

from __future__ import annotations

import pytest
import typer

from termchat.cli import app as cli_app
from termchat.cli.chat import (
    FLAG_OPTIONS,
    LIST_OPTIONS,
    VALUE_OPTIONS,
    ChatFlags,
    parse_chat_args,
)


def typer_options() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(value, list, flag) option names of the typer chat command -> parameter names."""
    command = typer.main.get_command(cli_app.app)
    values: dict[str, str] = {}
    lists: dict[str, str] = {}
    flags: dict[str, str] = {}
    for param in command.params:
        if param.name in ("version", "help"):
            continue
        table = flags if param.is_flag else lists if param.multiple else values
        for name in [*param.opts, *param.secondary_opts]:
            table[name] = str(param.name)
    return values, lists, flags


def test_chat_parser_knows_exactly_the_typer_options() -> None:
    assert typer_options() == (VALUE_OPTIONS, LIST_OPTIONS, FLAG_OPTIONS)


def typer_flags(args: list[str], monkeypatch: pytest.MonkeyPatch) -> ChatFlags:
    seen: list[ChatFlags] = []

    def capture(flags: ChatFlags) -> int:
        seen.append(flags)
        return 0

    monkeypatch.setattr(cli_app, "start_chat", capture)
    with pytest.raises(SystemExit):
        cli_app.app(args=args, prog_name="termchat")
    return seen[0]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="nothing"),
        pytest.param(["-m", "qwen3", "-p", "hi", "--host", "http://h:1"], id="short-and-long"),
        pytest.param(["--model=qwen3", "--think=high", "--no-save", "-y"], id="equals-and-flags"),
        pytest.param(["-o", "a=1", "--option", "b=2", "--tool", "x", "--tool", "y"], id="lists"),
        pytest.param(["-m", "a", "-m", "b", "--resume="], id="last-wins-empty-value"),
        pytest.param(["-p", "-x", "--json", "-c", "--hide-thinking"], id="value-like-option"),
    ],
)
def test_chat_parser_values_match_typer(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_chat_args(args) == typer_flags(args, monkeypatch)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--help"], id="help"),
        pytest.param(["sessions", "list"], id="subcommand"),
        pytest.param(["--bogus"], id="unknown-option"),
        pytest.param(["-m"], id="missing-value"),
        pytest.param(["-mqwen3"], id="attached-short-value"),
    ],
)
def test_chat_parser_leaves_the_rest_to_typer(args: list[str]) -> None:
    assert parse_chat_args(args) is None
