"""Tests for running tool calls: validation, failures, timeouts and caps."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from termchat.errors import ToolError
from termchat.messages import ToolCall
from termchat.tools.registry import Tool, ToolRegistry
from termchat.tools.runner import denied_result, run_tool_call, validate
from termchat.tools.schema import tool_from_function


async def slow(seconds: float) -> str:
    """Sleep (the timeout test cancels it)."""
    await asyncio.sleep(seconds)
    return "woke"


def add(a: int, b: int = 0, unit: str | None = None) -> int:
    """Add."""
    return a + b


def broken(kind: str) -> str:
    """Fail in different ways."""
    if kind == "tool":
        raise ToolError("disk is full")
    if kind == "timeout":
        raise TimeoutError("upstream timed out")
    raise ValueError("bad value")


def chatty(lines: int) -> str:
    """Print a lot."""
    return "\n".join(f"line {i}" for i in range(lines))


def make_registry() -> ToolRegistry:
    registry = ToolRegistry(tool_from_function(fn, "builtin") for fn in (slow, add, broken, chatty))
    pick = Tool(
        "pick",
        "Pick.",
        {
            "type": "object",
            "properties": {
                "color": {"enum": ["red", "blue"]},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["color"],
        },
        lambda args: asyncio.sleep(0, result=str(args)),
    )
    registry.add(pick)
    return registry


def call(name: str, timeout: float = 5, output_cap: int = 1000, **arguments: Any) -> Any:
    tool_call = ToolCall(name=name, arguments=arguments, id="call_1")
    return asyncio.run(
        run_tool_call(make_registry(), tool_call, timeout=timeout, output_cap=output_cap)
    )


def test_run_tool_call_success() -> None:
    result = call("add", a=2, b=3)
    assert (result.text, result.error) == ("5", False)
    assert result.duration >= 0
    message = result.to_message()
    assert message.to_wire() == {
        "role": "tool",
        "content": "5",
        "tool_name": "add",
        "tool_call_id": "call_1",
    }
    assert message.error is None


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        pytest.param(
            "nope",
            {},
            'Error: tool "nope" does not exist. Available tools: slow, add, broken, chatty, pick',
            id="unknown",
        ),
        pytest.param(
            "add",
            {"b": 1},
            "Error: invalid arguments for tool \"add\": arguments: missing required 'a'",
            id="missing",
        ),
        pytest.param(
            "add",
            {"a": "2"},
            'Error: invalid arguments for tool "add": arguments.a: expected integer, got string',
            id="wrong-type",
        ),
        pytest.param(
            "add",
            {"a": True},
            'Error: invalid arguments for tool "add": arguments.a: expected integer, got boolean',
            id="bool-is-not-int",
        ),
        pytest.param(
            "add",
            {"a": 1, "c": 2},
            "Error: invalid arguments for tool \"add\": arguments: unexpected 'c'",
            id="extra",
        ),
        pytest.param(
            "pick",
            {"color": "green"},
            "Error: invalid arguments for tool \"pick\": arguments.color: 'green' is not one of "
            "'red', 'blue'",
            id="enum",
        ),
        pytest.param(
            "pick",
            {"color": "red", "tags": ["a", 1]},
            'Error: invalid arguments for tool "pick": arguments.tags[1]: expected string, '
            "got integer",
            id="array-items",
        ),
        pytest.param(
            "broken",
            {"kind": "tool"},
            'Error: tool "broken" failed: disk is full',
            id="tool-error",
        ),
        pytest.param(
            "broken",
            {"kind": "value"},
            'Error: tool "broken" failed: ValueError: bad value',
            id="exception",
        ),
        pytest.param(
            "broken",
            {"kind": "timeout"},
            'Error: tool "broken" failed: TimeoutError: upstream timed out',
            id="tool-raised-timeout",
        ),
    ],
)
def test_run_tool_call_failures_become_error_results(
    name: str, arguments: dict[str, Any], expected: str
) -> None:
    result = call(name, **arguments)
    assert result.error
    assert result.text == expected


def test_run_tool_call_accepts_null_for_optional_and_extra_for_open_schema() -> None:
    assert call("add", a=1, unit=None).text == "1"
    assert call("pick", color="red", other=1).text == "{'color': 'red', 'other': 1}"


def test_run_tool_call_timeout() -> None:
    result = call("slow", timeout=0.05, seconds=30)
    assert result.error
    assert result.text == 'Error: tool "slow" timed out after 0.05 s'


def test_run_tool_call_disabled_tool_is_refused() -> None:
    registry = make_registry()
    registry.disable("add")
    result = asyncio.run(run_tool_call(registry, ToolCall("add", {"a": 1})))
    assert result.error
    assert result.text.startswith('Error: tool "add" is disabled. Available tools: slow, broken')


def test_run_tool_call_caps_output_for_the_model() -> None:
    result = call("chatty", output_cap=200, lines=100)
    assert not result.error
    assert result.text.endswith("\n[output truncated: showing 200 of 789 characters]")
    assert len(result.text) == 200 + len("\n[output truncated: showing 200 of 789 characters]")


def test_validate_type_list_and_nested_object() -> None:
    schema = {
        "type": "object",
        "properties": {
            "opt": {"type": "object", "properties": {"n": {"type": ["number", "null"]}}}
        },
    }
    assert validate({"opt": {"n": 1.5}}, schema) == []
    assert validate({"opt": {"n": None}}, schema) == []
    assert validate({"opt": {"n": "x"}}, schema) == [
        "arguments.opt.n: expected number or null, got string"
    ]


def test_denied_result_is_not_an_error() -> None:
    result = denied_result(ToolCall("run_shell", {"command": "rm -rf /"}), "The user denied it.")
    assert not result.error
    assert result.to_message().content == "The user denied it."
