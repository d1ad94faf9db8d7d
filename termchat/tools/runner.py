"""Run one tool call: check its arguments, enforce a timeout and an output cap, never raise."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from termchat.errors import ToolError
from termchat.messages import Message, ToolCall
from termchat.tools.registry import ToolRegistry

DEFAULT_TIMEOUT = 60.0
OUTPUT_CAP = 64 * 1024
"""Characters of a result sent to the model; the rest is cut with a note."""

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one call.

    Attributes:
        call: The call this answers.
        text: What the model gets (capped at the runner's output cap, otherwise complete);
            the screen shows the same text, shortened by the renderer.
        error: True when the tool did not run or failed.
        duration: Seconds spent running.
    """

    call: ToolCall
    text: str
    error: bool
    duration: float = 0.0

    def to_message(self) -> Message:
        """The role=tool message that carries this result back to the model."""
        return Message(
            role="tool",
            content=self.text,
            tool_name=self.call.name,
            tool_call_id=self.call.id,
            error=self.text if self.error else None,
        )


def _type_ok(value: Any, kind: str) -> bool:
    accepted = _JSON_TYPES.get(kind)
    if accepted is None:
        return True  # a type this validator does not know: let the tool judge
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, accepted)


def _type_name(value: Any) -> str:
    for kind in ("boolean", "integer", "number", "string", "array", "object", "null"):
        if _type_ok(value, kind):
            return kind
    return type(value).__name__


def validate(value: Any, schema: dict[str, Any], where: str = "arguments") -> list[str]:
    """Check `value` against the parts of JSON schema tools use.

    Covers `type` (one or a list), `enum`, object `properties`/`required`/
    `additionalProperties` and array `items`. Other keywords are not checked.

    Returns:
        One message per problem; empty when the value fits.
    """
    kinds = schema.get("type")
    if isinstance(kinds, str):
        kinds = [kinds]
    if isinstance(kinds, list) and not any(_type_ok(value, k) for k in kinds):
        return [f"{where}: expected {' or '.join(kinds)}, got {_type_name(value)}"]
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        return [f"{where}: {value!r} is not one of {', '.join(map(repr, enum))}"]
    problems: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key in schema.get("required") or []:
            if key not in value:
                problems.append(f"{where}: missing required {key!r}")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                problems += validate(item, properties[key], f"{where}.{key}")
            elif extra is False:
                problems.append(f"{where}: unexpected {key!r}")
            elif isinstance(extra, dict):
                problems += validate(item, extra, f"{where}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problems += validate(item, schema["items"], f"{where}[{i}]")
    return problems


def _cap(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    return text[:cap] + f"\n[output truncated: showing {cap} of {len(text)} characters]"


def _result(call: ToolCall, text: str, error: bool, started: float) -> ToolResult:
    return ToolResult(call=call, text=text, error=error, duration=time.monotonic() - started)


def denied_result(call: ToolCall, text: str) -> ToolResult:
    """The result for a call that was refused (by policy or by the user); not an error."""
    return ToolResult(call=call, text=text, error=False)


async def run_tool_call(
    registry: ToolRegistry,
    call: ToolCall,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    output_cap: int = OUTPUT_CAP,
) -> ToolResult:
    """Run `call` and describe the outcome for the model.

    An unknown or disabled tool, arguments that do not fit the schema, an exception or a timeout
    give `error=True` and a text telling the model what went wrong. Only cancellation (the user
    stopping the turn) propagates.
    """
    started = time.monotonic()
    tool = registry.get(call.name)
    if tool is None or not registry.is_enabled(call.name):
        available = ", ".join(n for n in registry.names() if registry.is_enabled(n)) or "none"
        state = "is disabled" if tool else "does not exist"
        text = f'Error: tool "{call.name}" {state}. Available tools: {available}'
        return _result(call, text, True, started)
    problems = validate(call.arguments, tool.parameters)
    if problems:
        text = f'Error: invalid arguments for tool "{call.name}": ' + "; ".join(problems)
        return _result(call, text, True, started)
    try:
        async with asyncio.timeout(timeout) as deadline:
            output = await tool(dict(call.arguments))
    except TimeoutError as exc:
        if deadline.expired():
            text = f'Error: tool "{call.name}" timed out after {timeout:g} s'
        else:
            text = f'Error: tool "{call.name}" failed: TimeoutError: {exc}'
        return _result(call, text, True, started)
    except ToolError as exc:
        return _result(
            call, _cap(f'Error: tool "{call.name}" failed: {exc}', output_cap), True, started
        )
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return _result(
            call, _cap(f'Error: tool "{call.name}" failed: {detail}', output_cap), True, started
        )
    if not isinstance(output, str):
        output = str(output)
    return _result(call, _cap(output, output_cap), False, started)
