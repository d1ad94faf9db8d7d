"""Where a setting sits in a TOML config file (its line), for messages that point at it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(#.*)?$")


class BadSetting(ValueError):
    """A setting's value is wrong; `inner` names the key inside a table that is (`[keys]`'s
    `stop`), so that the message can point at its line."""

    def __init__(self, message: str, *, inner: str | None = None) -> None:
        super().__init__(message)
        self.inner = inner


def _key_pattern(key: str) -> re.Pattern[str]:
    """`key =`, `"key" =` or a dotted `key.sub =` at the start of a line."""
    name = re.escape(key)
    return re.compile(rf"""^\s*(?:{name}|"{name}"|'{name}')\s*(=|\.)""")


def _table_of(header: str) -> list[str]:
    return [part.strip().strip("\"'") for part in header.split(".")]


def setting_line(text: str, key: str, inner: str | None = None) -> int | None:
    """The line (from 1) that sets `key` (or `inner` in the table `key`); None if not found.

    Good enough for messages: it reads headers and `name =` lines, not full TOML.
    """
    own = _key_pattern(key)
    inside = _key_pattern(inner) if inner else None
    dotted = re.compile(rf"^\s*{re.escape(key)}\s*\.\s*{re.escape(inner)}\s*=") if inner else None
    table: list[str] = []
    found: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _table_of(header[1])
            if table and table[0] == key and found is None:
                found = number
            continue
        if not table:
            if dotted is not None and dotted.match(line):
                return number
            if own.match(line) and found is None:
                found = number
        elif inside is not None and table[0] == key and inside.match(line):
            return number
    return found


def where(path: object, text: str, key: str, inner: str | None = None) -> str:
    """`Config file PATH, line N` (without the line when it cannot be found)."""
    line = setting_line(text, key, inner)
    return f"Config file {path}" + (f", line {line}" if line else "")


def toml_problem(path: Path, text: str, error: tomllib.TOMLDecodeError) -> str:
    """`Config file PATH, line 2, column 5: not valid TOML: Invalid value (the line: …)`."""
    message = str(error)
    found = re.search(r"\(at line (\d+), column (\d+)\)$", message)
    if found is None:
        return f"Config file {path} is not valid TOML: {message}"
    line = int(found[1])
    lines = text.splitlines()
    shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    quoted = f" (the line: {shown[:60]!r})" if shown else ""
    reason = message[: found.start()].rstrip()
    return f"Config file {path}, line {line}, column {found[2]}: not valid TOML: {reason}{quoted}"
