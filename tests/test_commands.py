"""Slash commands: parsing (pure), and the table at work (usage, completions, dispatch)."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from appdriver import idle_app

from termchat.commands import COMMANDS, is_command, run_command, unescape_message
from termchat.commands.base import CommandTable
from termchat.errors import CommandError, UsageError
from termchat.messages import Message
from termchat.render import Renderer

parse_command = COMMANDS.parse
command_names = COMMANDS.names


@pytest.mark.parametrize(
    ("line", "name", "args"),
    [
        pytest.param("/help", "help", "", id="bare"),
        pytest.param("  /model   qwen3:8b  ", "model", "qwen3:8b", id="spaces"),
        pytest.param("/bye", "exit", "", id="alias-bye"),
        pytest.param("/quit", "exit", "", id="alias-quit"),
        pytest.param("/SET temperature 0.2", "set", "temperature 0.2", id="case-insensitive"),
        pytest.param(
            "/system You are terse.\nReally.",
            "system",
            "You are terse.\nReally.",
            id="multiline-args",
        ),
        pytest.param("/think low", "think", "low", id="think-level"),
    ],
)
def test_parse_command_known(line: str, name: str, args: str) -> None:
    command, parsed = parse_command(line)
    assert command.name == name
    assert parsed == args


def test_parse_command_unknown_suggests_close_match() -> None:
    with pytest.raises(CommandError, match=r"Unknown command /modle\. Did you mean /model\?"):
        parse_command("/modle qwen3")


def test_parse_command_unknown_without_match_points_to_help() -> None:
    with pytest.raises(CommandError, match="Type /help"):
        parse_command("/zzzzzz")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param("/help", True, id="command"),
        pytest.param("hello", False, id="text"),
        pytest.param("//not a command", False, id="double-slash"),
        pytest.param("/usr/bin/env is a path", False, id="path"),
        pytest.param("/", True, id="lone-slash"),
    ],
)
def test_is_command(line: str, expected: bool) -> None:
    assert is_command(line) is expected


def test_unescape_message_double_slash_sends_one() -> None:
    assert unescape_message("//help me") == "/help me"
    assert unescape_message("plain") == "plain"


def test_command_names_include_aliases() -> None:
    names = command_names()
    assert {"/help", "/exit", "/bye", "/quit", "/model", "/think"} <= set(names)


# --- the table at work: usage errors come from each command's own declaration -------------------


def _app_printing(home: Any) -> tuple[Any, io.StringIO]:
    out = io.StringIO()
    return idle_app(home, Renderer(out, width=120, force_terminal=False)), out


@pytest.mark.parametrize(
    ("line", "name"),
    [
        pytest.param("/set temperature", "set", id="set-one-word"),
        pytest.param("/unset", "unset", id="unset-bare"),
        pytest.param("/pull", "pull", id="pull-bare"),
    ],
)
def test_run_command_usage_error_quotes_the_commands_own_usage(
    line: str, name: str, tmp_path: Any
) -> None:
    app, out = _app_printing(tmp_path)
    asyncio.run(run_command(app, line))
    command = COMMANDS.find(name)
    assert command is not None
    assert f"Usage: {command.usage}" in " ".join(out.getvalue().split())


def test_run_command_usage_error_keeps_its_detail(tmp_path: Any) -> None:
    app, out = _app_printing(tmp_path)
    app.conversation.messages.append(Message("user", "q"))
    app.conversation.messages.append(Message("assistant", "a"))
    asyncio.run(run_command(app, "/thinking 5"))
    printed = " ".join(out.getvalue().split())
    assert "Usage: /thinking [N]" in printed and "there are 1 replies" in printed


def test_commands_usage_errors_are_command_errors_with_exit_code_2() -> None:
    command = COMMANDS.find("set")
    assert command is not None
    error = command.usage_error(UsageError())
    assert isinstance(error, CommandError) and error.exit_code == 2


def test_commands_every_runner_and_name_is_declared_once() -> None:
    runners = [command.run for command in COMMANDS.commands]
    assert len(runners) == len(set(runners))
    with pytest.raises(ValueError, match="declared twice"):
        CommandTable([*COMMANDS.commands, COMMANDS.commands[0]])


def test_commands_completions_come_from_the_declaration(tmp_path: Any) -> None:
    app, _ = _app_printing(tmp_path)
    app.models_cache = ["qwen3:8b", "llama3.2"]
    model = COMMANDS.find("model")
    assert model is not None and model.choices(app) == ["qwen3:8b", "llama3.2"]
    think = COMMANDS.find("think")
    assert think is not None and "high" in think.choices(app)
