"""Tests for slash-command parsing (pure)."""

from __future__ import annotations

import pytest

from termchat.commands import (
    CommandError,
    command_names,
    is_command,
    parse_command,
    unescape_message,
)


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
