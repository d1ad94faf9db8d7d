"""What a stored value may be: the limits an import is checked against, and safe reading.

One set of rules, used twice. `check_*` functions validate a value from an imported file and
raise `Invalid` (a reason without the field's name, which the caller adds). `read_*` functions
take a value from a database row, which may have been written by an older termchat that checked
less, and return a value every reader can use: a bad field is dropped or shown as a plain
default, never passed on to crash a list, a transcript or a request.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from termchat.config import OPTION_TYPES, THINK_LEVELS
from termchat.filecheck import deeper_than
from termchat.messages import Stats, Think, ToolCall

MAX_TIME: Final = 253_402_300_799.0
"""The last second of the year 9999: the latest time a date can be shown for."""
MAX_COUNT: Final = 2**63 - 1
"""Token counts and nanosecond durations: SQLite's largest integer."""
MAX_POSITION: Final = 2**31 - 1
"""`seq` and `gen`."""
MAX_NAME: Final = 256
"""Model names, tool names, tool call ids, done reasons."""
MAX_TITLE: Final = 1000
MAX_DEPTH: Final = 32
"""Nesting of tool-call arguments (objects and lists inside each other)."""
MAX_STOP: Final = 64
"""Entries of the `stop` option."""

STAT_FIELDS: Final = (
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
    "counted_tokens",
    "counted_thinking",
    "first_token",
    "thinking_duration",
    "answer_duration",
)
_BASE64: Final = re.compile(r"[A-Za-z0-9+/\s]*={0,2}\s*")


class Invalid(ValueError):
    """A value that breaks a rule; the text says which rule, the caller says which field."""


# --- checks (import) -----------------------------------------------------------------------


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def is_number(value: Any) -> bool:
    """An int or float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_time(value: Any) -> float | None:
    """A Unix time between 1970 and the year 9999, or None."""
    if value is None:
        return None
    if not is_number(value):
        raise Invalid(f"must be a number of seconds, not {_kind(value)}")
    if not (isinstance(value, int) or math.isfinite(value)) or not 0 <= value <= MAX_TIME:
        raise Invalid("must be a time between 1970 and the year 9999")
    return float(value)


def check_int(value: Any, limit: int) -> int:
    """A whole number from 0 to `limit`."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"must be a whole number, not {_kind(value)}")
    if not 0 <= value <= limit:
        raise Invalid(f"must be between 0 and {limit}")
    return value


def check_text(value: Any, limit: int | None = None, *, optional: bool = True) -> str | None:
    """A string (or None when `optional`) of at most `limit` characters, valid Unicode."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        wanted = "a string or null" if optional else "a string"
        raise Invalid(f"must be {wanted}, not {_kind(value)}")
    if limit is not None and len(value) > limit:
        raise Invalid(f"is longer than {limit} characters")
    if not valid_unicode(value):
        raise Invalid("is not valid Unicode (a lone surrogate)")
    return value


def valid_unicode(text: str) -> bool:
    """False when `text` holds a lone surrogate, which can be neither stored nor shown."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_think(value: Any) -> Think:
    """None, true, false or a level."""
    if value is None or isinstance(value, bool) or value in THINK_LEVELS:
        return value
    levels = ", ".join(THINK_LEVELS)
    raise Invalid(f"must be true, false, null or one of {levels}")


def check_options(value: Any) -> dict[str, Any] | None:
    """Model options as `/set` takes them: known names, values of their type."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid(f"must be an object, not {_kind(value)}")
    for key, option in value.items():
        kind = OPTION_TYPES.get(key)
        if kind is None:
            raise Invalid(f"has an unknown option {key[:40]!r}")
        try:
            _check_option(option, kind)
        except Invalid as exc:
            raise Invalid(f"option {key} {exc}") from None
    return dict(value)


def _check_option(value: Any, kind: type) -> None:
    if kind is list:
        if not isinstance(value, list) or len(value) > MAX_STOP:
            raise Invalid(f"must be a list of at most {MAX_STOP} strings")
        for item in value:
            check_text(item, MAX_NAME, optional=False)
    elif kind is int:
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_COUNT:
            raise Invalid("must be a whole number")
    elif not is_number(value) or not math.isfinite(value) or abs(value) > MAX_COUNT:
        raise Invalid("must be a finite number")


def check_stats(value: Any) -> dict[str, Any] | None:
    """Timing and token figures: whole numbers from 0 up, and a short done reason."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid(f"must be an object or null, not {_kind(value)}")
    for key in STAT_FIELDS:
        if value.get(key) is not None:
            try:
                check_int(value[key], MAX_COUNT)
            except Invalid as exc:
                raise Invalid(f"{key} {exc}") from None
    for key in ("done_reason", "profile", "host"):
        try:
            check_text(value.get(key), MAX_NAME)
        except Invalid as exc:
            raise Invalid(f"{key} {exc}") from None
    return value


def check_images(value: Any) -> list[str]:
    """Base64 image data."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"must be a list, not {_kind(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not _BASE64.fullmatch(item):
            raise Invalid(f"[{index}] is not base64 image data")
    return value


def check_tool_calls(value: Any) -> list[ToolCall]:
    """Tool calls in the stored (Ollama) form, each with a name, object arguments, unique ids."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"must be a list, not {_kind(value)}")
    calls = []
    for index, item in enumerate(value):
        try:
            calls.append(_check_call(item))
        except Invalid as exc:
            raise Invalid(f"[{index}] {exc}") from None
    ids = [call.id for call in calls if call.id]
    if len(set(ids)) != len(ids):
        raise Invalid("has two calls with the same id")
    return calls


def _check_call(item: Any) -> ToolCall:
    function = item.get("function") if isinstance(item, dict) else None
    if not isinstance(function, dict):
        raise Invalid("must be an object with a function object")
    name = function.get("name")
    if not isinstance(name, str) or not name.strip():
        raise Invalid("has no function name")
    check_text(name, MAX_NAME, optional=False)
    arguments = function.get("arguments", {})
    if not isinstance(arguments, dict):
        raise Invalid(f"arguments must be an object, not {_kind(arguments)}")
    if deeper_than(arguments, MAX_DEPTH):
        raise Invalid(f"arguments are nested too deeply (more than {MAX_DEPTH} levels)")
    try:
        text = json.dumps(arguments, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise Invalid("arguments hold NaN or Infinity, which JSON has not") from None
    if not valid_unicode(text):
        raise Invalid("arguments are not valid Unicode (a lone surrogate)")
    index = function.get("index")
    if index is not None:
        check_int(index, MAX_POSITION)
    call_id = check_text(item.get("id"), MAX_NAME)
    return ToolCall(name=name, arguments=arguments, id=call_id or None, index=index)


# --- reading (rows written by any termchat) --------------------------------------------


def read_time(value: Any) -> float:
    """A stored time, or 0 (shown as 1970) when it is not one."""
    try:
        checked = check_time(value)
    except Invalid:
        return 0.0
    return 0.0 if checked is None else checked


def read_text(value: Any) -> str:
    """A stored text column as str ("" for NULL; bytes decoded with replacements)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def read_optional_text(value: Any) -> str | None:
    """Like `read_text`, but NULL stays None."""
    return None if value is None else read_text(value)


def read_json(text: Any) -> Any:
    """A stored JSON column, or None when it is missing or not JSON this reader can hold."""
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def read_think(value: Any) -> Think:
    """A stored think setting; anything unknown reads as "not set"."""
    try:
        return check_think(value)
    except Invalid:
        return None


def read_options(value: Any) -> dict[str, Any] | None:
    """Stored options, keeping only the entries that are valid."""
    if not isinstance(value, dict):
        return None
    return {key: option for key, option in value.items() if _option_ok(key, option)}


def _option_ok(key: str, value: Any) -> bool:
    kind = OPTION_TYPES.get(key)
    if kind is None:
        return False
    try:
        _check_option(value, kind)
    except Invalid:
        return False
    return True


def read_stats(value: Any) -> Stats | None:
    """Stored stats, keeping only the figures that are valid."""
    if not isinstance(value, dict):
        return None
    kept: dict[str, Any] = {}
    for key in STAT_FIELDS:
        figure = value.get(key)
        if isinstance(figure, int) and not isinstance(figure, bool) and 0 <= figure <= MAX_COUNT:
            kept[key] = figure
    for key in ("done_reason", "profile", "host"):
        text = value.get(key)
        if isinstance(text, str) and len(text) <= MAX_NAME and valid_unicode(text):
            kept[key] = text
    return Stats.from_dict(kept)


def read_tool_calls(value: Any) -> list[ToolCall]:
    """Stored tool calls; one that is not a valid call is left out."""
    items = value if isinstance(value, list) else []
    return [call for call in map(_stored_call, items) if call is not None]


def _stored_call(item: Any) -> ToolCall | None:
    try:
        return _check_call(item)
    except Invalid:
        return None


def read_images(value: Any) -> list[str]:
    """Stored images; anything but a string is left out."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
