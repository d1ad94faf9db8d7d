"""Tests for loading tools from a user's Python file."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from termchat.errors import ToolError
from termchat.tools.loader import load_tools_file

GOOD = '''
"""My tools."""
import os
from os.path import join
from dataclasses import dataclass


@dataclass
class Point:
    x: int


def greet(name: str, excited: bool = False) -> str:
    """Greet someone.

    Args:
        name: Who to greet.
        excited: Add an exclamation mark.
    """
    return f"Hello, {name}" + ("!" if excited else "")


async def distance(x: int, y: int) -> float:
    """Distance from the origin."""
    return (x * x + y * y) ** 0.5


def _helper() -> None:
    pass


shout = str.upper
'''


def write(tmp_path: Path, text: str, name: str = "tools.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_load_tools_file_makes_public_functions_tools(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    tools = load_tools_file(path)
    assert [t.name for t in tools] == ["greet", "distance"]
    greet = tools[0]
    assert greet.source == f"file:{path.resolve()}"
    assert greet.policy == "ask"
    assert greet.description == "Greet someone."
    assert greet.parameters["properties"]["name"] == {
        "type": "string",
        "description": "Who to greet.",
    }
    assert greet.parameters["required"] == ["name"]
    assert asyncio.run(greet({"name": "Ada", "excited": True})) == "Hello, Ada!"
    assert asyncio.run(tools[1]({"x": 3, "y": 4})) == "5.0"


def test_load_tools_file_honours_dunder_all(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '\n__all__ = ["distance"]\n')
    assert [t.name for t in load_tools_file(path)] == ["distance"]


def test_load_tools_file_same_stem_twice_gets_separate_modules(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write(tmp_path / "a", "def one() -> str:\n    return '1'\n")
    b = write(tmp_path / "b", "def two() -> str:\n    return '2'\n")
    assert [t.name for t in load_tools_file(a) + load_tools_file(b)] == ["one", "two"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param("def broken(:\n    pass\n", r"tools.py:1: syntax error", id="syntax"),
        pytest.param(
            "x = 1\n\nimport no_such_module_xyz\n", r"tools.py:3: ModuleNotFoundError", id="import"
        ),
        pytest.param(
            "def f() -> str:\n    return ''\n\n1 / 0\n",
            r"tools.py:4: ZeroDivisionError",
            id="runtime",
        ),
        pytest.param("X = 1\n", r"tools.py: no public functions", id="empty"),
        pytest.param(
            "import threading\n\ndef f(t: threading.Lock) -> str:\n    return ''\n",
            r"tools.py:3: function f: parameter 't'",
            id="bad-type",
        ),
    ],
)
def test_load_tools_file_errors_name_file_and_line(
    tmp_path: Path, source: str, message: str
) -> None:
    path = write(tmp_path, source)
    with pytest.raises(ToolError, match=message) as info:
        load_tools_file(path)
    assert str(path.resolve()) in str(info.value)
    assert "\n" not in str(info.value)


def test_load_tools_file_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"tools file .*nope.py not found"):
        load_tools_file(tmp_path / "nope.py")
