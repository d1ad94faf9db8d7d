"""Tests for the built-in tools (fetch_url is in test_tools_web.py)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from termchat.errors import ToolError
from termchat.tools.builtins import builtin_tools, calculator, current_time


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param("17 * 23", "391", id="multiply"),
        pytest.param("17 × 23", "391", id="times-sign"),
        pytest.param("(1 + 2) * -3", "-9", id="parens-unary"),
        pytest.param("7 / 2", "3.5", id="divide"),
        pytest.param("7 // 2", "3", id="floor-divide"),
        pytest.param("7 % 4", "3", id="modulo"),
        pytest.param("2 ** 10", "1024", id="power"),
        pytest.param("0.1 + 0.2", "0.3", id="float-noise"),
        pytest.param("sqrt(16)", "4", id="sqrt"),
        pytest.param("round(pi, 3)", "3.142", id="pi-round"),
        pytest.param("sin(0) + log(e)", "1", id="functions"),
        pytest.param("factorial(5)", "120", id="factorial"),
        pytest.param("2 ** -1", "0.5", id="negative-power"),
    ],
)
def test_calculator_evaluates(expression: str, expected: str) -> None:
    assert calculator(expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        pytest.param("__import__('os')", "unknown function", id="import"),
        pytest.param("x + 1", "unknown name 'x'", id="name"),
        pytest.param("(1).__class__", "attributes are not allowed", id="attribute"),
        pytest.param("sqrt.__doc__", "attributes are not allowed", id="function-attribute"),
        pytest.param("'a' * 3", "only numbers", id="string"),
        pytest.param("True + 1", "only numbers", id="bool"),
        pytest.param("[1, 2]", "unsupported expression: List", id="list"),
        pytest.param("lambda: 1", "unsupported expression: Lambda", id="lambda"),
        pytest.param("9 ** 9 ** 9", "too large", id="huge-power"),
        pytest.param("10 ** 5000", "too large", id="big-power"),
        pytest.param("(10 ** 3000) * (10 ** 3000)", "too large", id="big-product"),
        pytest.param("2.5 ** 100000", "too large", id="float-overflow"),
        pytest.param("exp(1000)", "too large", id="exp-overflow"),
        pytest.param("factorial(100000)", "factorial needs", id="big-factorial"),
        pytest.param("1 / 0", "division by zero", id="zero-division"),
        pytest.param("2 ^ 3", "use \\*\\*", id="xor"),
        pytest.param("sqrt(-1)", "math error", id="domain"),
        pytest.param("(-8) ** 0.5", "not a real number", id="complex"),
        pytest.param("1 +", "not a valid expression", id="syntax"),
        pytest.param("1" + "+1" * 600, "longer than", id="too-long"),
        pytest.param("round(1.5, ndigits=1)", "keyword", id="keywords"),
    ],
)
def test_calculator_rejects(expression: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(ToolError, match=message):
        calculator(expression)
    assert time.monotonic() - started < 1


def test_current_time_in_named_zone() -> None:
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 \(UTC, \w+day\)", current_time("UTC")
    )


def test_current_time_local_by_default() -> None:
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d \(", current_time())


@pytest.mark.parametrize(
    "zone",
    [pytest.param("Mars/Olympus", id="unknown"), pytest.param("../../etc/passwd", id="path")],
)
def test_current_time_rejects_bad_zone(zone: str) -> None:
    with pytest.raises(ToolError, match="unknown time zone"):
        current_time(zone)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    root = tmp_path / "work"
    (root / "sub").mkdir(parents=True)
    (root / "notes.txt").write_text("hello\n", encoding="utf-8")
    (root / "sub" / "deep.txt").write_text("deep", encoding="utf-8")
    (root / "blob.bin").write_bytes(b"\x89PNG\0\0\x01")
    (root / "big.txt").write_text("é" * 40_000, encoding="utf-8")  # 80,000 bytes
    (tmp_path / "secret.txt").write_text("top secret", encoding="utf-8")
    (root / "escape").symlink_to(tmp_path / "secret.txt")
    (root / "inside").symlink_to(root / "notes.txt")
    return root


def run(workdir: Path, tool: str, **arguments: object) -> str:
    return asyncio.run(builtin_tools(workdir)[tool](dict(arguments)))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("notes.txt", "hello\n", id="relative"),
        pytest.param("sub/../sub/deep.txt", "deep", id="dotdot-inside"),
        pytest.param("inside", "hello\n", id="symlink-inside"),
    ],
)
def test_read_file_reads_inside_workdir(workdir: Path, path: str, expected: str) -> None:
    assert run(workdir, "read_file", path=path) == expected


def test_read_file_accepts_absolute_path_inside(workdir: Path) -> None:
    assert run(workdir, "read_file", path=str(workdir / "notes.txt")) == "hello\n"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("../secret.txt", id="dotdot"),
        pytest.param("/etc/passwd", id="absolute"),
        pytest.param("escape", id="symlink-escape"),
        pytest.param("sub/../../secret.txt", id="nested-dotdot"),
    ],
)
def test_read_file_rejects_paths_outside(workdir: Path, path: str) -> None:
    with pytest.raises(ToolError, match="outside the working directory"):
        run(workdir, "read_file", path=path)


@pytest.mark.parametrize(
    "path",
    [pytest.param("..", id="parent"), pytest.param("/", id="root")],
)
def test_list_dir_rejects_paths_outside(workdir: Path, path: str) -> None:
    with pytest.raises(ToolError, match="outside the working directory"):
        run(workdir, "list_dir", path=path)


def test_read_file_truncates_large_file_with_note(workdir: Path) -> None:
    text = run(workdir, "read_file", path="big.txt")
    assert text.endswith("[truncated: showing the first 65536 of 80000 bytes]")
    assert set(text.split("\n")[0]) == {"é"}  # the cut did not split a character


def test_read_file_refuses_binary_politely(workdir: Path) -> None:
    assert "looks like a binary file (7 bytes)" in run(workdir, "read_file", path="blob.bin")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param("missing.txt", "no such file", id="missing"),
        pytest.param("sub", "is a directory", id="directory"),
    ],
)
def test_read_file_errors(workdir: Path, path: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        run(workdir, "read_file", path=path)


def test_list_dir_lists_entries(workdir: Path) -> None:
    listing = run(workdir, "list_dir").splitlines()
    assert "sub/" in listing
    assert "notes.txt  (6 bytes)" in listing
    assert run(workdir, "list_dir", path="sub") == "deep.txt  (4 bytes)"


def test_list_dir_does_not_follow_symlinks(workdir: Path) -> None:
    listing = run(workdir, "list_dir").splitlines()
    assert "escape@" in listing  # not the size of the file outside
    assert "inside@" in listing
    assert not [line for line in listing if line.startswith(("escape ", "inside "))]


@pytest.mark.parametrize(
    ("link", "target", "path", "expected"),
    [
        pytest.param("linked", "sub", "linked/deep.txt", "deep", id="dir-link-inside"),
        pytest.param("chain", "inside", "chain", "hello\n", id="link-to-link-inside"),
        pytest.param("up", "sub/..", "up/notes.txt", "hello\n", id="relative-dotdot-inside"),
    ],
)
def test_read_file_follows_symlinks_that_stay_inside(
    workdir: Path, link: str, target: str, path: str, expected: str
) -> None:
    (workdir / link).symlink_to(target)
    assert run(workdir, "read_file", path=path) == expected


@pytest.mark.parametrize(
    ("link", "target", "path"),
    [
        pytest.param("out", "..", "out/secret.txt", id="dir-link-up"),
        pytest.param("chain", "escape", "chain", id="link-to-escaping-link"),
        pytest.param("abs", "/etc", "abs/passwd", id="absolute-dir-link"),
        pytest.param("sneaky", "sub/../../secret.txt", "sneaky", id="relative-escape"),
    ],
)
def test_read_file_refuses_symlinks_that_leave(
    workdir: Path, link: str, target: str, path: str
) -> None:
    (workdir / link).symlink_to(target)
    with pytest.raises(ToolError, match="outside the working directory"):
        run(workdir, "read_file", path=path)


def test_read_file_symlink_loop_is_an_error(workdir: Path) -> None:
    (workdir / "a").symlink_to("b")
    (workdir / "b").symlink_to("a")
    with pytest.raises(ToolError, match="too many symbolic links"):
        run(workdir, "read_file", path="a")


def test_read_file_refuses_a_fifo_without_blocking(workdir: Path) -> None:
    os.mkfifo(workdir / "pipe")
    with pytest.raises(ToolError, match="not a regular file"):
        run(workdir, "read_file", path="pipe")


SWAPPER = """
import os, sys
root, outside = sys.argv[1], sys.argv[2]
target = os.path.join(root, "race.txt")
with open(target, "w") as f:
    f.write("harmless")
while not os.path.exists(os.path.join(root, "stop")):
    os.symlink(outside, target + ".link")
    os.replace(target + ".link", target)
    with open(target + ".file", "w") as f:
        f.write("harmless")
    os.replace(target + ".file", target)
"""


def test_read_file_never_follows_a_symlink_swapped_in(workdir: Path) -> None:
    """Another process swaps race.txt between a file and a symlink to a file outside."""
    outside = workdir.parent / "secret.txt"
    swapper = subprocess.Popen([sys.executable, "-c", SWAPPER, str(workdir), str(outside)])
    tool = builtin_tools(workdir)["read_file"]

    async def read_many() -> Counter[str]:
        seen: Counter[str] = Counter()
        for _ in range(3000):
            try:
                seen[await tool({"path": "race.txt"})] += 1
            except ToolError as exc:
                seen["refused" if "outside" in str(exc) else str(exc)] += 1
        return seen

    try:
        while not (workdir / "race.txt").exists():
            assert swapper.poll() is None
        seen = asyncio.run(read_many())
    finally:
        (workdir / "stop").touch()
        swapper.wait(10)
    assert "top secret" not in seen
    assert seen["harmless"] > 0


def test_run_shell_reports_exit_status_and_stderr(workdir: Path) -> None:
    assert run(workdir, "run_shell", command="echo out; echo err >&2; exit 3") == (
        "exit status: 3\nout\nerr\n"
    )


def test_builtin_tools_default_policies(tmp_path: Path) -> None:
    tools = builtin_tools(tmp_path)
    assert {name: tool.policy for name, tool in tools.items()} == {
        "calculator": "allow",
        "current_time": "allow",
        "read_file": "ask",
        "list_dir": "ask",
        "run_shell": "ask",
        "fetch_url": "ask",
    }
    assert all(tool.source == "builtin" for tool in tools.values())
