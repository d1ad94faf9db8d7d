"""Make a Tool of a plain Python function: JSON schema from type hints, text from the docstring."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import inspect
import json
import re
import threading
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, Union

from termchat.errors import ToolError
from termchat.tools.policy import Policy
from termchat.tools.registry import Tool

_SIMPLE: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Returns?|Yields?|Raises|Examples?|Notes?|Attributes|"
    r"See Also|Warnings?|Todo):\s*$"
)
_ARG_LINE = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


class _Unsupported(Exception):
    """A type hint with no JSON schema equivalent."""


def _literal_schema(values: tuple[Any, ...]) -> dict[str, Any]:
    kinds = {_SIMPLE.get(type(v)) for v in values}
    schema: dict[str, Any] = {"enum": list(values)}
    if len(kinds) == 1 and None not in kinds:
        schema["type"] = kinds.pop()
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Allow null next to the schema's type, in the `"type": [..., "null"]` form Ollama reads."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    return schema


def type_schema(hint: Any) -> dict[str, Any]:
    """The JSON schema of one type hint.

    Raises:
        _Unsupported: No JSON equivalent (a class, a callable, ...).
    """
    if hint is inspect.Parameter.empty:
        return {"type": "string"}
    if hint is Any or hint is object:
        return {}
    if hint in _SIMPLE:
        return {"type": _SIMPLE[hint]}
    if hint is type(None):
        return {"type": "null"}
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return type_schema(args[0])
    if origin is Literal:
        return _literal_schema(args)
    if origin in (Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        inner = (
            type_schema(rest[0]) if len(rest) == 1 else {"anyOf": [type_schema(a) for a in rest]}
        )
        return _nullable(inner) if len(rest) < len(args) else inner
    if hint in (list, tuple, set, frozenset) or origin in (list, tuple, set, frozenset):
        schema: dict[str, Any] = {"type": "array"}
        items = [a for a in args if a is not Ellipsis]
        if origin is tuple and len(items) > 1:
            return schema
        if items:
            schema["items"] = type_schema(items[0])
        return schema
    if hint is dict or origin is dict:
        schema = {"type": "object"}
        if len(args) == 2 and args[1] is not Any:
            schema["additionalProperties"] = type_schema(args[1])
        return schema
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _literal_schema(tuple(member.value for member in hint))
    raise _Unsupported(getattr(hint, "__name__", repr(hint)))


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into the description and the `Args:` entries.

    Returns:
        The text before the first section (paragraphs kept, lines joined), and a mapping of
        argument name to its description.
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    intro: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    args_indent = 0
    for line in lines:
        header = _SECTION.match(line)
        if header and not line.startswith(" "):
            section = header.group(1)
            current = None
            continue
        if section is None:
            intro.append(line)
        elif section in ("Args", "Arguments", "Parameters") and line.strip():
            match = _ARG_LINE.match(line.strip())
            indent = len(line) - len(line.lstrip())
            if match and (current is None or indent <= args_indent):
                current = match.group(1).lstrip("*")
                args_indent = indent
                args[current] = match.group(2).strip()
            elif current is not None:
                args[current] = f"{args[current]} {line.strip()}".strip()
    paragraphs = "\n".join(intro).strip().split("\n\n")
    description = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
    return description, args


def _result_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


async def in_daemon_thread(fn: Callable[[], Any]) -> Any:
    """Run a blocking call in its own daemon thread and await its result.

    Unlike `asyncio.to_thread`, a call that never returns (a tool stuck on a pipe or a lock)
    is abandoned on timeout or Ctrl-C and cannot keep termchat from exiting.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(error: BaseException | None, value: Any) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def work() -> None:
        try:
            value = fn()
        except BaseException as exc:  # handed to the awaiting task, which decides
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(settle, exc, None)
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, None, value)

    threading.Thread(target=work, name="termchat-tool", daemon=True).start()
    return await future


def tool_from_function(
    fn: Callable[..., Any],
    source: str,
    *,
    name: str | None = None,
    policy: Policy = "ask",
    read_only: bool = False,
) -> Tool:
    """Make a Tool of a function.

    Parameters become properties; one without a default is required. `X | None` allows null,
    `Literal[...]` and Enum classes become `enum`, an unannotated parameter is a string.
    Sync functions run in a worker thread; async ones are awaited. A non-string return value is
    sent to the model as JSON.

    Args:
        fn: The function.
        source: Where it came from (see `Tool.source`).
        name: The tool name; defaults to the function's name.
        policy: Default approval policy.
        read_only: Whether the tool only reads.

    Raises:
        ToolError: A parameter's type has no JSON schema, or the signature cannot be read.
    """
    tool_name = name or fn.__name__
    try:
        signature = inspect.signature(fn)
        hints = typing.get_type_hints(fn, include_extras=True)
    except (NameError, TypeError, ValueError) as exc:
        raise ToolError(f"function {tool_name}: cannot read its signature ({exc})") from exc
    description, arg_docs = parse_docstring(fn.__doc__)
    properties: dict[str, Any] = {}
    required: list[str] = []
    extra_allowed = False
    for param in signature.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            extra_allowed = True
            continue
        if param.kind is param.VAR_POSITIONAL:
            continue
        try:
            prop = type_schema(hints.get(param.name, param.annotation))
        except _Unsupported as exc:
            raise ToolError(
                f"function {tool_name}: parameter {param.name!r} has a type with no JSON "
                f"schema ({exc}); use str, int, float, bool, list, dict, Literal or Optional"
            ) from None
        if param.name in arg_docs:
            prop["description"] = arg_docs[param.name]
        if param.default is param.empty:
            required.append(param.name)
        elif param.default is None or isinstance(param.default, (str, int, float, bool)):
            prop["default"] = param.default
        properties[param.name] = prop
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    if not extra_allowed:
        parameters["additionalProperties"] = False

    if inspect.iscoroutinefunction(fn):

        async def run(arguments: dict[str, Any]) -> str:
            return _result_text(await fn(**arguments))

    else:

        async def run(arguments: dict[str, Any]) -> str:
            return _result_text(await in_daemon_thread(functools.partial(fn, **arguments)))

    return Tool(
        name=tool_name,
        description=description or tool_name.replace("_", " "),
        parameters=parameters,
        function=run,
        source=source,
        policy=policy,
        read_only=read_only,
    )
