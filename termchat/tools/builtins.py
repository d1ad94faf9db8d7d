"""Built-in tools: calculator, current_time, read_file, list_dir, run_shell (fetch_url: web.py)."""

from __future__ import annotations

import ast
import math
import operator
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from termchat.errors import ToolError
from termchat.tools.confined import open_under
from termchat.tools.registry import Tool
from termchat.tools.schema import tool_from_function

READ_CAP = 64 * 1024
LIST_CAP = 500
SHELL_OUTPUT_CAP = 32 * 1024
SHELL_TIMEOUT = 30.0

# --- calculator ---------------------------------------------------------------------------

MAX_EXPRESSION = 1000
MAX_INT_BITS = 10_000  # about 3,000 digits; far above any honest arithmetic

_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}


def _check_size(value: Any) -> Any:
    if isinstance(value, complex):
        raise ToolError("the result is not a real number")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ToolError("the result is too large")
    return value


def _power(base: Any, exponent: Any) -> Any:
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and abs(base) > 1
        and exponent * math.log2(abs(base)) > MAX_INT_BITS
    ):
        raise ToolError("the result is too large")
    return operator.pow(base, exponent)


def _factorial(n: Any) -> int:
    if not isinstance(n, int) or not 0 <= n <= 1000:
        raise ToolError("factorial needs a whole number from 0 to 1000")
    return math.factorial(n)


_MATH_NAMES = (
    "sqrt", "cbrt", "exp", "log", "log10", "log2", "sin", "cos", "tan", "asin", "acos", "atan",
    "atan2", "sinh", "cosh", "tanh", "degrees", "radians", "floor", "ceil", "hypot",
)  # fmt: skip
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "factorial": _factorial,
    **{name: getattr(math, name) for name in _MATH_NAMES},
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: _power,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}


def _evaluate(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ToolError(f"only numbers are allowed, not {node.value!r}")
        return node.value
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            raise ToolError("^ is not a power here; use ** (2 ** 10)")
        op = _BINARY.get(type(node.op))
        if op is None:
            raise ToolError(f"operator {type(node.op).__name__} is not allowed")
        return _check_size(op(_evaluate(node.left), _evaluate(node.right)))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ToolError(f"unknown name {node.id!r}; known constants: {', '.join(_CONSTANTS)}")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            raise ToolError(f"unknown function; allowed: {', '.join(sorted(_FUNCTIONS))}")
        if node.keywords:
            raise ToolError("keyword arguments are not allowed")
        return _check_size(_FUNCTIONS[node.func.id](*(_evaluate(arg) for arg in node.args)))
    if isinstance(node, ast.Attribute):
        raise ToolError("attributes are not allowed")
    raise ToolError(f"unsupported expression: {type(node).__name__}")


def _format_number(value: Any) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    return str(value)


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression exactly and safely.

    Supports numbers, + - * / // % ** and parentheses, the constants pi, e and tau, and the
    functions sqrt, cbrt, exp, log, log10, log2, sin, cos, tan, asin, acos, atan, atan2, sinh,
    cosh, tanh, degrees, radians, floor, ceil, hypot, abs, round, min, max and factorial.

    Args:
        expression: The expression, e.g. "17 * 23" or "sqrt(2) * pi".
    """
    text = expression.replace("×", "*").replace("÷", "/").strip()
    if len(text) > MAX_EXPRESSION:
        raise ToolError(f"the expression is longer than {MAX_EXPRESSION} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ToolError(f"not a valid expression: {exc.msg}") from None
    try:
        return _format_number(_evaluate(tree.body))
    except ZeroDivisionError:
        raise ToolError("division by zero") from None
    except OverflowError:
        raise ToolError("the result is too large") from None
    except (ValueError, TypeError) as exc:
        raise ToolError(f"math error: {exc}") from None
    except RecursionError:
        raise ToolError("the expression is nested too deeply") from None


# --- current_time --------------------------------------------------------------------------


def current_time(timezone: str | None = None) -> str:
    """Return the current date and time.

    Args:
        timezone: An IANA time zone such as "Europe/Paris" or "UTC"; the local zone if omitted.
    """
    if timezone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only when a zone is asked for

        try:
            now = datetime.now(ZoneInfo(timezone))
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ToolError(
                f"unknown time zone {timezone!r}; use an IANA name such as Europe/Paris"
            ) from None
        zone = timezone
    else:
        now = datetime.now().astimezone()
        zone = now.tzname() or "local"
    return f"{now.isoformat(timespec='seconds')} ({zone}, {now:%A})"


# --- read_file and list_dir ----------------------------------------------------------------


def _read_file_tool(root: Path, cap: int) -> Tool:
    def read_file(path: str) -> str:
        """Read a text file inside the working directory.

        Args:
            path: The file's path, relative to the working directory.
        """
        fd = open_under(root, path)
        try:
            with os.fdopen(fd, "rb") as handle:
                data = handle.read(cap + 1)
                size = os.fstat(handle.fileno()).st_size
        except OSError as exc:
            raise ToolError(f"cannot read {path!r}: {exc.strerror}") from None
        truncated = len(data) > cap
        data = data[:cap]
        try:
            if b"\0" in data[:8192]:
                raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL byte")
            # A cut may split a multi-byte character: ignore only that tail.
            text = data.decode("utf-8") if not truncated else _decode_prefix(data)
        except UnicodeDecodeError:
            return f"{path!r} looks like a binary file ({size} bytes); read_file returns text only."
        if truncated:
            text += f"\n[truncated: showing the first {cap} of {size} bytes]"
        return text

    return tool_from_function(read_file, "builtin", read_only=True)


def _decode_prefix(data: bytes) -> str:
    for cut in range(4):
        try:
            return data[: len(data) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8")  # raises: not UTF-8 text


def _list_dir_tool(root: Path, cap: int) -> Tool:
    def list_dir(path: str = ".") -> str:
        """List a directory inside the working directory: subdirectories end with /, symlinks @.

        Args:
            path: The directory, relative to the working directory.
        """
        fd = open_under(root, path, directory=True)
        try:
            with os.scandir(fd) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
            lines = [_describe_entry(entry) for entry in entries[:cap]]
        except OSError as exc:
            raise ToolError(f"cannot list {path!r}: {exc.strerror}") from None
        finally:
            os.close(fd)
        if len(entries) > cap:
            lines.append(f"[{len(entries) - cap} more entries not shown]")
        return "\n".join(lines) if lines else "(empty directory)"

    return tool_from_function(list_dir, "builtin", read_only=True)


def _describe_entry(entry: os.DirEntry[str]) -> str:
    """One listing line; a symlink is never followed (its target may be outside)."""
    if entry.is_symlink():
        return f"{entry.name}@"
    if entry.is_dir(follow_symlinks=False):
        return f"{entry.name}/"
    if entry.is_file(follow_symlinks=False):
        return f"{entry.name}  ({entry.stat(follow_symlinks=False).st_size} bytes)"
    return entry.name


# --- run_shell -------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 'es' if word.endswith('s') else 's'}"


def _run_shell_tool(root: Path, timeout: float, cap: int, tool_env: Sequence[str]) -> Tool:
    async def run_shell(command: str) -> str:
        """Run a shell command in the working directory; returns its exit status and output.

        Args:
            command: The command line, run by /bin/sh.
        """
        from termchat.tools.process import run_command, tool_environment

        env = tool_environment(tool_env)
        try:
            ran = await run_command(command, cwd=root, env=env, timeout=timeout, output_cap=cap)
        except OSError as exc:
            raise ToolError(f"cannot start /bin/sh: {exc.strerror or exc}") from None
        text = ran.output.decode("utf-8", errors="replace")
        if ran.outcome == "timeout":
            raise ToolError(
                f"command timed out after {timeout:g} s and was stopped; output so far:\n{text}"
            )
        if ran.outcome == "cap":
            head = f"stopped: the command wrote more than {cap} bytes of output"
        elif ran.status is not None and ran.status < 0:
            head = f"killed by signal {-ran.status}"
        else:
            head = f"exit status: {ran.status}"
        notes = []
        if ran.cut:
            notes.append(f"[output cut: showing the first {cap} bytes]")
        if ran.stragglers:
            what = _plural(ran.stragglers, "process")
            notes.append(f"[stopped {what} the command left running in the background]")
        if notes and text and not text.endswith("\n"):
            text += "\n"
        return f"{head}\n{text}" + "\n".join(notes)

    return tool_from_function(run_shell, "builtin")


def builtin_tools(
    cwd: Path,
    *,
    read_cap: int = READ_CAP,
    shell_timeout: float = SHELL_TIMEOUT,
    shell_output_cap: int = SHELL_OUTPUT_CAP,
    tool_env: Sequence[str] = (),
    fetch_allow_hosts: Sequence[str] = (),
) -> dict[str, Tool]:
    """Every built-in tool by name; file and shell tools are bound to `cwd`.

    Default policies: calculator and current_time allow; the others ask (run_shell always asks,
    see `policy.ALWAYS_ASK`).

    Args:
        cwd: The working directory the file and shell tools are confined to.
        read_cap: Bytes read_file returns at most.
        shell_timeout: Seconds a shell command may run.
        shell_output_cap: Bytes of a command's output kept; more stops the command.
        tool_env: Names of environment variables run_shell passes on (config `tool_env`).
        fetch_allow_hosts: Internal hosts fetch_url may reach (config `fetch_allow_hosts`).
    """
    from termchat.tools.web import fetch_url_tool  # here, so httpx loads only when tools are used

    tools = [
        tool_from_function(calculator, "builtin", policy="allow", read_only=True),
        tool_from_function(current_time, "builtin", policy="allow", read_only=True),
        _read_file_tool(cwd, read_cap),
        _list_dir_tool(cwd, LIST_CAP),
        _run_shell_tool(cwd, shell_timeout, shell_output_cap, tool_env),
        fetch_url_tool(allow_hosts=fetch_allow_hosts),
    ]
    return {tool.name: tool for tool in tools}
