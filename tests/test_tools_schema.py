"""Tests for building tools from Python functions."""

from __future__ import annotations

import asyncio
import enum
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Literal, Optional

import pytest

from termchat.errors import ToolError
from termchat.tools.schema import parse_docstring, tool_from_function, type_schema


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        pytest.param(str, {"type": "string"}, id="str"),
        pytest.param(int, {"type": "integer"}, id="int"),
        pytest.param(float, {"type": "number"}, id="float"),
        pytest.param(bool, {"type": "boolean"}, id="bool"),
        pytest.param(list[int], {"type": "array", "items": {"type": "integer"}}, id="list-int"),
        pytest.param(list, {"type": "array"}, id="bare-list"),
        pytest.param(dict, {"type": "object"}, id="dict"),
        pytest.param(
            dict[str, float],
            {"type": "object", "additionalProperties": {"type": "number"}},
            id="dict-values",
        ),
        pytest.param(Optional[int], {"type": ["integer", "null"]}, id="optional"),  # noqa: UP045
        pytest.param(str | None, {"type": ["string", "null"]}, id="pipe-none"),
        pytest.param(Literal["a", "b"], {"type": "string", "enum": ["a", "b"]}, id="literal"),
        pytest.param(Literal[1, 2], {"type": "integer", "enum": [1, 2]}, id="literal-int"),
        pytest.param(Color, {"type": "string", "enum": ["red", "blue"]}, id="enum"),
        pytest.param(Any, {}, id="any"),
    ],
)
def test_type_schema_maps_hints(hint: Any, expected: dict[str, Any]) -> None:
    assert type_schema(hint) == expected


def test_parse_docstring_google_style() -> None:
    def fn() -> None:
        """Find things.

        Searches everywhere,
        quickly.

        Args:
            query (str): What to look for,
                over two lines.
            limit: How many.

        Returns:
            Matches.
        """

    description, args = parse_docstring(fn.__doc__)
    assert description == "Find things.\n\nSearches everywhere, quickly."
    assert args == {"query": "What to look for, over two lines.", "limit": "How many."}


def test_tool_from_function_builds_schema_from_signature_and_docstring() -> None:
    def search(
        query: str,
        limit: int = 5,
        mode: Literal["fast", "full"] = "fast",
        tags: list[str] | None = None,
    ) -> str:
        """Search the notes.

        Args:
            query: Words to find.
            limit: Most results to return.
        """
        return query

    tool = tool_from_function(search, "file:/t.py")
    assert tool.name == "search"
    assert tool.description == "Search the notes."
    assert tool.source == "file:/t.py"
    assert tool.policy == "ask"
    assert tool.parameters == {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Words to find."},
            "limit": {"type": "integer", "description": "Most results to return.", "default": 5},
            "mode": {"type": "string", "enum": ["fast", "full"], "default": "fast"},
            "tags": {"type": ["array", "null"], "items": {"type": "string"}, "default": None},
        },
        "required": ["query"],
        "additionalProperties": False,
    }


def test_tool_from_function_runs_sync_function_in_thread() -> None:
    main = threading.get_ident()

    def where(n: int) -> dict[str, Any]:
        """Report the thread."""
        return {"n": n, "other_thread": threading.get_ident() != main}

    tool = tool_from_function(where, "builtin")
    assert asyncio.run(tool({"n": 2})) == '{"n": 2, "other_thread": true}'


def test_tool_from_function_awaits_async_function() -> None:
    async def shout(text: str) -> str:
        """Shout."""
        await asyncio.sleep(0)
        return text.upper()

    assert asyncio.run(tool_from_function(shout, "builtin")({"text": "hi"})) == "HI"


def test_tool_from_function_kwargs_allow_extra_properties() -> None:
    def anything(**options: Any) -> str:
        """Take anything."""
        return ""

    tool = tool_from_function(anything, "builtin")
    assert tool.parameters == {"type": "object", "properties": {}}
    assert tool.description == "Take anything."


def test_tool_from_function_rejects_unsupported_type() -> None:
    def bad(when: threading.Thread) -> str:
        return ""

    with pytest.raises(ToolError, match="parameter 'when' has a type with no JSON schema"):
        tool_from_function(bad, "builtin")


def test_sync_tool_that_never_returns_does_not_block_exit(tmp_path: Path) -> None:
    """A blocking tool runs in a daemon thread: after a timeout the process can still exit."""
    script = tmp_path / "hang.py"
    script.write_text(
        "import asyncio, threading\n"
        "from termchat.tools.schema import tool_from_function\n"
        "gate = threading.Event()\n"
        "def hang() -> str:\n"
        "    gate.wait()\n"
        "    return 'never'\n"
        "tool = tool_from_function(hang, 'test')\n"
        "async def main():\n"
        "    try:\n"
        "        await asyncio.wait_for(tool({}), 0.2)\n"
        "    except TimeoutError:\n"
        "        print('timed out', flush=True)\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "timed out\n"


def test_read_file_refuses_a_fifo(tmp_path: Path) -> None:
    from termchat.tools.builtins import builtin_tools

    os.mkfifo(tmp_path / "pipe")
    read_file = builtin_tools(tmp_path)["read_file"]
    with pytest.raises(ToolError, match="not a regular file"):
        asyncio.run(read_file({"path": "pipe"}))
