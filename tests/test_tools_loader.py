"""Tests for loading tools from a user's Python file."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fakeserver import FakeServer

import termchat
from termchat.errors import ToolError
from termchat.messages import ToolCall
from termchat.tools.loader import load_tools_file
from termchat.tools.registry import Tool, ToolRegistry
from termchat.tools.runner import run_tool_call

PACKAGE_ROOT = str(Path(termchat.__file__).resolve().parents[1])

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


NOISY = '''
import sys
import time
from pathlib import Path


def noisy(n: int) -> dict:
    """Print while working."""
    print("working on", n)
    print("careful", file=sys.stderr)
    return {"n": n}


async def noisy_async(n: int) -> str:
    """Print from a coroutine."""
    print("async working on", n)
    return f"done {n}"


def failing() -> str:
    """Print, then fail."""
    print("about to fail")
    raise ValueError("bad input")


async def stuck(flag: str, release: str) -> str:
    """Block the thread (not await) until the release file appears."""
    Path(flag).touch()
    deadline = time.monotonic() + 30
    while not Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return "late"
'''


def tools_by_name(tmp_path: Path) -> dict[str, Tool]:
    return {tool.name: tool for tool in load_tools_file(write(tmp_path, NOISY))}


def test_tools_file_output_goes_into_the_result(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    tools = tools_by_name(tmp_path)
    assert asyncio.run(tools["noisy"]({"n": 3})) == (
        '{"n": 3}\n[printed by the tool]\nworking on 3\ncareful\n'
    )
    assert asyncio.run(tools["noisy_async"]({"n": 4})) == (
        "done 4\n[printed by the tool]\nasync working on 4\n"
    )
    with pytest.raises(ValueError, match=r"bad input\n\[printed by the tool\]\nabout to fail"):
        asyncio.run(tools["failing"]({}))
    assert capfd.readouterr() == ("", "")
    print("after the tools")  # the terminal's own output is untouched
    assert capfd.readouterr().out == "after the tools\n"


def test_blocking_async_tool_can_be_cancelled_at_once(tmp_path: Path) -> None:
    tool = tools_by_name(tmp_path)["stuck"]
    flag, release = tmp_path / "started", tmp_path / "release"

    async def cancel_it() -> float:
        task = asyncio.create_task(tool({"flag": str(flag), "release": str(release)}))
        while not flag.exists():
            await asyncio.sleep(0.01)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    try:
        assert asyncio.run(cancel_it()) < 1
    finally:
        release.touch()


def test_blocking_async_tool_times_out_on_time(tmp_path: Path) -> None:
    registry = ToolRegistry(tools_by_name(tmp_path).values())
    flag, release = tmp_path / "started", tmp_path / "release"
    call = ToolCall("stuck", {"flag": str(flag), "release": str(release)})
    started = time.monotonic()
    try:
        result = asyncio.run(run_tool_call(registry, call, timeout=0.5))
    finally:
        release.touch()
    assert result.error and "timed out after 0.5 s" in result.text
    assert time.monotonic() - started < 3


def test_print_in_a_tools_file_keeps_json_output_clean(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    path = write(tmp_path, NOISY)
    env = {**os.environ, "TERMCHAT_HOME": str(tmp_path / "home"), "PYTHONPATH": PACKAGE_ROOT}
    arguments = ["--host", fake_server.url, "-m", "qwen3", "--yes", "--tools-file", str(path)]
    done = subprocess.run(
        [sys.executable, "-m", "termchat", *arguments, "--json", "-p", 'call noisy {"n": 7}'],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]  # every line is JSON
    results = [event for event in events if event["type"] == "tool_result"]
    assert [result["content"] for result in results] == [
        '{"n": 7}\n[printed by the tool]\nworking on 7\ncareful\n'
    ]
    assert "\nworking on" not in "\n" + done.stderr  # only inside the result's panel


RUNS_A_PROGRAM = """
from termchat.tools.process import run_command, tool_environment


async def show_env() -> str:
    '''Run `env` the way run_shell does.'''
    ran = await run_command("env", cwd=".", env=tool_environment(), timeout=10, output_cap=65536)
    return ran.output.decode()
"""


def test_tools_file_can_start_programs_with_the_clean_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    monkeypatch.setenv("GITHUB_PAT", "ghp-must-not-leak")
    (tool,) = load_tools_file(write(tmp_path, RUNS_A_PROGRAM))
    output = asyncio.run(tool({}))
    assert "PATH=" in output
    assert "must-not-leak" not in output
