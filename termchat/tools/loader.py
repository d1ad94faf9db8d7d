"""Load a user's Python file (`--tools-file`) and make its public functions tools."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import itertools
import sys
import traceback
from pathlib import Path
from types import ModuleType

from termchat.errors import ToolError
from termchat.tools.registry import Tool
from termchat.tools.schema import tool_from_function

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


def _import(path: Path) -> ModuleType:
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
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


def load_tools_file(path: Path | str) -> list[Tool]:
    """Import `path` and turn each public function defined in it into a tool.

    Only functions defined in the file itself count (not imported ones, not `_private` ones);
    when the file sets `__all__`, only the names listed there. Tools keep the file's order,
    their source is "file:<absolute path>" and their default policy is "ask".

    Raises:
        ToolError: The file is missing, does not import (message names the file and line), has
            no public function, or a function's signature has no JSON schema.
    """
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise ToolError(f"tools file {path} not found")
    module = _import(path)
    exported = getattr(module, "__all__", None)
    tools: list[Tool] = []
    for name, obj in vars(module).items():
        if name.startswith("_") or (exported is not None and name not in exported):
            continue
        if not inspect.isfunction(obj) or obj.__module__ != module.__name__:
            continue
        try:
            tools.append(tool_from_function(obj, f"file:{path}"))
        except ToolError as exc:
            raise ToolError(f"{path}:{obj.__code__.co_firstlineno}: {exc}") from None
    if not tools:
        raise ToolError(f"{path}: no public functions to offer as tools")
    return tools
