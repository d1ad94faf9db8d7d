"""Load a user's Python file (`--tools-file`) and make its public functions tools.

A file's tool runs in its own daemon thread (an `async` one on its own event loop there), so
a tool that blocks cannot freeze termchat: Ctrl-C and the tool timeout still return at once,
and the abandoned call finishes, or not, on its own. What the tool prints to sys.stdout or
sys.stderr from that thread goes into its result, never over the chat or `--json` output.

Limits: the file runs inside termchat with termchat's rights and environment (API keys
included); it is code you chose to trust. Threads it starts and programs it runs write where
they like; `termchat.tools.process.run_command` with `tool_environment()` starts a program the
way run_shell does (clean environment, nothing left running).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import importlib.machinery
import importlib.util
import inspect
import itertools
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any, TextIO

from termchat.errors import ToolError
from termchat.tools.registry import Tool, ToolFunction
from termchat.tools.schema import in_daemon_thread, tool_from_function

PRINT_CAP = 16 * 1024
"""Characters of a tool's printed output kept for its result."""
PRINTED = "[printed by the tool]"

_counter = itertools.count()


def _module_name(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:10]
    return f"termchat_user_tools_{digest}_{next(_counter)}"


def _line_of(exc: BaseException, path: Path) -> int | None:
    """The line of `path` where `exc` was raised (the innermost frame in that file)."""
    if isinstance(exc, SyntaxError) and exc.filename == str(path):
        return exc.lineno
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    return frames[-1].lineno if frames else None


class _SourceOnly(importlib.machinery.SourceFileLoader):
    """Compiles the file from its source every time: no `__pycache__/` is read from, or left
    in, the user's folder."""

    def get_code(self, fullname: str) -> CodeType:
        """The module's code, compiled from the file as it is now."""
        path = self.get_filename(fullname)
        return self.source_to_code(self.get_data(path), path)


def _import(path: Path) -> ModuleType:
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path, loader=_SourceOnly(name, str(path)))
    if spec is None or spec.loader is None:
        raise ToolError(f"{path}: cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look a module up by name
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise ToolError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        sys.modules.pop(name, None)
        line = _line_of(exc, path)
        where = f"{path}:{line}" if line else str(path)
        raise ToolError(f"{where}: {type(exc).__name__}: {exc}") from None
    return module


class _Sink:
    """What one call printed, up to `PRINT_CAP` characters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def write(self, text: str) -> int:
        room = PRINT_CAP - self.size
        self.parts.append(text[:room])
        self.size += min(len(text), room)
        self.dropped += max(0, len(text) - room)
        return len(text)

    def text(self) -> str:
        more = f"\n[{self.dropped} more characters not kept]" if self.dropped else ""
        return "".join(self.parts) + more


class _Routed:
    """A sys.stdout/sys.stderr stand-in: a capturing thread's writes go to its sink."""

    def __init__(self, target: TextIO | None, sinks: dict[int, _Sink]) -> None:
        self.target = target
        self.sinks = sinks

    def write(self, text: str) -> int:
        sink = self.sinks.get(threading.get_ident())
        if sink is not None:
            return sink.write(text)
        return self.target.write(text) if self.target is not None else len(text)

    def flush(self) -> None:
        if threading.get_ident() not in self.sinks and self.target is not None:
            self.target.flush()

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding, buffer, ...
        return getattr(self.target, name)


class _Capture:
    """Routes sys.stdout and sys.stderr per thread while any call of a file's tools runs."""

    def __init__(self) -> None:
        self.sinks: dict[int, _Sink] = {}
        self.lock = threading.Lock()
        self.installed: tuple[_Routed, _Routed] | None = None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[_Sink]:
        """Capture what the current thread prints, for the duration of the block."""
        sink, ident = _Sink(), threading.get_ident()
        with self.lock:
            if self.installed is None:
                self.installed = (_Routed(sys.stdout, self.sinks), _Routed(sys.stderr, self.sinks))
                sys.stdout, sys.stderr = self.installed
            self.sinks[ident] = sink
        try:
            yield sink
        finally:
            with self.lock:
                del self.sinks[ident]
                if not self.sinks and self.installed is not None:
                    out, err = self.installed
                    # Put the streams back only if nobody replaced ours in the meantime.
                    if sys.stdout is out:
                        sys.stdout = out.target
                    if sys.stderr is err:
                        sys.stderr = err.target
                    self.installed = None


def _with_printed(text: str, printed: str) -> str:
    return f"{text}\n{PRINTED}\n{printed}" if printed else text


def _isolated(run: ToolFunction, capture: _Capture) -> ToolFunction:
    """`run` in a daemon thread with its own event loop, its printed output in its result."""

    async def call(arguments: dict[str, Any]) -> str:
        return await run(arguments)

    def in_thread(arguments: dict[str, Any]) -> str:
        with capture() as sink:
            try:
                text = asyncio.run(call(arguments))
            except Exception as exc:
                printed = sink.text()
                if printed:  # the message carries what the tool printed before it failed
                    exc.args = (_with_printed(str(exc), printed),)
                raise
        return _with_printed(text, sink.text())

    async def isolated(arguments: dict[str, Any]) -> str:
        return str(await in_daemon_thread(functools.partial(in_thread, arguments)))

    return isolated


def _in_this_thread(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An async stand-in for `fn` (same signature) that runs a sync `fn` where it is awaited."""

    @functools.wraps(fn)
    async def call(*args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    return call


def load_tools_file(path: Path | str) -> list[Tool]:
    """Import `path` and turn each public function defined in it into a tool.

    Only functions defined in the file itself count (not imported ones, not `_private` ones);
    when the file sets `__all__`, only the names listed there. Tools keep the file's order,
    their source is "file:<absolute path>" and their default policy is "ask". Each runs as the
    module docstring says: in its own thread, its printed output added to its result.

    Raises:
        ToolError: The file is missing, does not import (message names the file and line), has
            no public function, or a function's signature has no JSON schema.
    """
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise ToolError(f"tools file {path} not found")
    module = _import(path)
    exported = getattr(module, "__all__", None)
    capture = _Capture()
    tools: list[Tool] = []
    for name, obj in vars(module).items():
        if name.startswith("_") or (exported is not None and name not in exported):
            continue
        if not inspect.isfunction(obj) or obj.__module__ != module.__name__:
            continue
        try:
            tool = tool_from_function(_in_this_thread(obj), f"file:{path}")
        except ToolError as exc:
            raise ToolError(f"{path}:{obj.__code__.co_firstlineno}: {exc}") from None
        tools.append(replace(tool, function=_isolated(tool.function, capture)))
    if not tools:
        raise ToolError(f"{path}: no public functions to offer as tools")
    return tools
