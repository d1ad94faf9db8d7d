"""Values read out of a server's JSON: typed, bounded and encodable, or refused in one line.

Every backend reads server data through these helpers, so nothing of the wrong type, of an
absurd size, or with text that cannot be encoded (a lone UTF-16 surrogate from a `\\ud83d`
escape) travels further into termchat.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from termchat.backends.host import redact
from termchat.messages import Stats, ToolCall

REPLACEMENT = "\ufffd"
MAX_COUNT = 2**63 - 1  # token counts and nanosecond durations fit a signed 64-bit integer
MAX_DEPTH = 64  # nesting allowed inside tool-call arguments
SHORT = 256  # characters kept of a name, id, reason or other short field
MESSAGE = 500  # characters kept of a server's error message
_SURROGATE = re.compile("[\ud800-\udfff]")
_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?")


class ShapeError(ValueError):
    """A record from the server is well-formed JSON of the wrong shape."""


def kind(value: Any) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def wrong(where: str, expected: str, value: Any) -> ShapeError:
    """The error for a field `where` that should be `expected` but holds `value`."""
    return ShapeError(f"{where} is {kind(value)}, not {expected}")


def clean_text(text: str) -> str:
    """`text` with surrogate pairs joined and lone surrogates replaced by U+FFFD.

    JSON may carry a character outside the BMP as two `\\uXXXX` escapes; a server that splits
    them, or sends one alone, leaves Python a string that cannot be encoded.
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text(value: Any, limit: int = SHORT) -> str | None:
    """A string field, cleaned and cut to `limit`; None when absent, empty or not a string."""
    if type(value) is not str or not value:
        return None
    return shorten(clean_text(value), limit)


def mapping(value: Any) -> dict[str, Any]:
    """An object field; empty when absent or not an object."""
    return value if isinstance(value, dict) else {}


def count(value: Any) -> int | None:
    """A non-negative count or duration; None when absent, negative, absurd or not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_COUNT else None
    if isinstance(value, float) and 0 <= value <= MAX_COUNT:  # NaN fails both comparisons
        return int(value)
    return None


def timestamp(value: Any) -> str | None:
    """An RFC 3339 time as a UTC ISO string (so that strings sort by time); None otherwise."""
    if type(value) is not str:
        return None
    match = _TIMESTAMP.fullmatch(value.strip())
    if match is None:
        return None
    base, fraction, zone = match.groups()
    fraction = (fraction or "")[:7]  # Go writes nanoseconds; Python reads microseconds
    zone = "+00:00" if zone in (None, "Z") else zone
    try:
        moment = datetime.fromisoformat(base + fraction + zone)
    except ValueError:
        return None
    return moment.astimezone(UTC).isoformat()


def clean_json(value: Any, depth: int = 0) -> Any:
    """A parsed JSON value with every string (keys included) cleaned.

    Raises:
        ShapeError: The value is nested deeper than MAX_DEPTH.
    """
    if isinstance(value, str):
        return clean_text(value)
    if depth > MAX_DEPTH:
        raise ShapeError(f"tool-call arguments are nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        return {clean_text(k): clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v, depth + 1) for v in value]
    return value


def parse_json(data: str | bytes) -> Any:
    """`json.loads`, with too deep nesting reported as the ValueError it is to a reader."""
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def arguments(value: Any, where: str) -> dict[str, Any]:
    """Tool-call arguments: an object, or the JSON text of one (some servers send a string).

    Raises:
        ShapeError: Neither an object, a string nor absent.
    """
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            parsed = parse_json(value) if value.strip() else {}
        except ValueError:
            parsed = None
        return clean_json(parsed) if isinstance(parsed, dict) else {"_raw": clean_text(value)}
    if isinstance(value, dict):
        return clean_json(value)
    raise wrong(where, "an object", value)


def call_id(value: Any) -> str | None:
    """A tool-call id: a string, or absent (an id of another type is dropped: it is optional)."""
    return text(value)


def tool_call(data: Any, where: str) -> ToolCall:
    """One complete tool call in Ollama's form `{"id"?, "function": {"name", "arguments"}}`.

    Raises:
        ShapeError: The call, its function or its name has the wrong type.
    """
    if not isinstance(data, dict):
        raise wrong(where, "an object", data)
    function = data.get("function")
    if not isinstance(function, dict):
        raise wrong(f"{where}.function", "an object", function)
    name = function.get("name")
    if type(name) is not str or not name:
        raise wrong(f"{where}.function.name", "a name", name)
    index = function.get("index")
    return ToolCall(
        name=shorten(clean_text(name), SHORT),
        arguments=arguments(function.get("arguments"), f"{where}.function.arguments"),
        id=call_id(data.get("id")),
        index=index if type(index) is int and 0 <= index <= MAX_COUNT else None,
    )


def stats(data: dict[str, Any]) -> Stats:
    """The figures of a final chunk; a figure of the wrong type or size is left out."""
    return Stats(
        done_reason=text(data.get("done_reason")),
        total_duration=count(data.get("total_duration")),
        load_duration=count(data.get("load_duration")),
        prompt_eval_count=count(data.get("prompt_eval_count")),
        prompt_eval_duration=count(data.get("prompt_eval_duration")),
        eval_count=count(data.get("eval_count")),
        eval_duration=count(data.get("eval_duration")),
    )


def error_text(error: Any) -> str:
    """The message of an `error` field (a string or an OpenAI-style object), cleaned and cut."""
    if isinstance(error, dict):
        message = error.get("message")
        error = message if message else error
    if not isinstance(error, str):
        try:
            error = json.dumps(error, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            error = kind(error)
    text = redact(" ".join(clean_text(error).split()))
    return shorten(text, MESSAGE) if text else "the server reported an error without a message"


class TextJoin:
    """One stream of text pieces (thinking or content) made safe to encode.

    A piece that ends in the first half of a surrogate pair is held back until the next piece
    brings the second half; a half that stays alone becomes U+FFFD.
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held = ""

    def push(self, piece: str) -> str:
        """The encodable text of `piece` (may be shorter, or empty, while a half is held)."""
        if self._held:
            piece, self._held = self._held + piece, ""
        elif piece.isascii():
            return piece
        if piece and "\ud800" <= piece[-1] <= "\udbff":
            piece, self._held = piece[:-1], piece[-1]
        return clean_text(piece)

    def close(self) -> str:
        """End of the stream: a held half becomes U+FFFD."""
        held, self._held = self._held, ""
        return REPLACEMENT if held else ""
