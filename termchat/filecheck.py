"""What termchat checks about a file before it trusts it: nesting it can walk, secrets that other
users can read, and a history file that is really a file."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

_SECRET_NAME = re.compile(r"key|token|secret|passw|passphrase|credential", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")

MAX_NESTING = 32
"""Levels of tables and arrays a config file may nest (termchat's own settings use 3)."""


def too_deep(path: Path) -> str:
    return f"Config file {path} is nested too deeply (more than {MAX_NESTING} levels of tables)"


def deeper_than(value: Any, limit: int) -> bool:
    """Whether tables and arrays nest more than `limit` levels in `value`; never recurses."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        if level >= limit:
            return True
        stack.extend((child, level + 1) for child in item)
    return False


def history_file_problem(path: Path) -> str | None:
    """Why `path` cannot be the prompt's history file, or None when it can (it is a regular
    file, or does not exist yet). A FIFO or a device there would hang start-up on open."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"Cannot use the history file {path} ({exc.strerror or exc}); history is not kept"
    if stat.S_ISREG(mode):
        return None
    return f"The history file {path} is not a regular file; history is not kept this time"


def _secret_fields(data: Any, where: str = "") -> list[str]:
    """Dotted names of the settings in `data` that hold a secret (a key, token, password...)."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{where}.{key}" if where else str(key)
            if name in ("tool_policies", "options"):  # names of tools and options, no secrets
                continue
            if isinstance(value, str) and (
                (value and _SECRET_NAME.search(str(key))) or _URL_PASSWORD.search(value)
            ):
                found.append(name)
            else:
                found += _secret_fields(value, name)
    return found


def exposure_warnings(path: Path, data: dict[str, Any]) -> list[str]:
    """A warning when the config file holds a secret and other users can read it (as ssh does)."""
    if os.name != "posix":
        return []
    secrets = _secret_fields(data)
    if not secrets:
        return []
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        return []
    if not mode & 0o044:
        return []
    return [
        f"{path} holds a secret ({', '.join(secrets)}) and other users can read it "
        f"(permissions {mode:04o}); run: chmod 600 {path}"
    ]
