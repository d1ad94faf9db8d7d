"""Tests for the Tool record and the ToolRegistry."""

from __future__ import annotations

from typing import Any

import pytest

from termchat.errors import ToolError
from termchat.tools.registry import Tool, ToolRegistry


async def _echo(arguments: dict[str, Any]) -> str:
    return repr(arguments)


def make_tool(name: str, source: str = "builtin", **kwargs: Any) -> Tool:
    params = {"type": "object", "properties": {}}
    return Tool(name, f"{name} tool", params, _echo, source=source, **kwargs)


def test_tool_to_schema_is_ollama_function_form() -> None:
    tool = make_tool("echo")
    assert tool.to_schema() == {
        "type": "function",
        "function": {
            "name": "echo",
            "description": "echo tool",
            "parameters": {"type": "object", "properties": {}},
        },
    }


def test_registry_add_clash_raises_naming_both_sources() -> None:
    registry = ToolRegistry([make_tool("search", "file:/x/tools.py")])
    with pytest.raises(ToolError, match=r'"search" from mcp:web clashes .* file:/x/tools.py'):
        registry.add(make_tool("search", "mcp:web"))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("mcp:web", "web_search", id="mcp"),
        pytest.param("file:/home/u/my tools.py", "my_tools_search", id="file"),
    ],
)
def test_registry_add_prefix_on_clash_renames_newcomer(source: str, expected: str) -> None:
    registry = ToolRegistry([make_tool("search")])
    added = registry.add(make_tool("search", source), prefix_on_clash=True)
    assert added.name == expected
    assert registry.names() == ["search", expected]
    assert registry.get(expected) is added


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("has space", id="space"),
        pytest.param("a.b", id="dot"),
        pytest.param("", id="empty"),
    ],
)
def test_registry_add_rejects_invalid_names(name: str) -> None:
    with pytest.raises(ToolError, match="not valid"):
        ToolRegistry().add(make_tool(name))


def test_registry_disable_hides_tool_from_schemas() -> None:
    registry = ToolRegistry([make_tool("a"), make_tool("b")])
    registry.disable("a")
    assert [s["function"]["name"] for s in registry.schemas()] == ["b"]
    assert not registry.is_enabled("a")
    assert registry.get("a") is not None
    registry.enable("a")
    assert [s["function"]["name"] for s in registry.schemas()] == ["a", "b"]


def test_registry_enable_unknown_name_raises() -> None:
    with pytest.raises(ToolError, match=r'no tool named "nope" \(known: a\)'):
        ToolRegistry([make_tool("a")]).enable("nope")


def test_registry_iterates_every_tool_in_order() -> None:
    registry = ToolRegistry([make_tool("b"), make_tool("a")])
    registry.disable("b")
    assert [tool.name for tool in registry] == ["b", "a"]
