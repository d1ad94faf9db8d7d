"""Presets: `[presets.NAME]` tables (system prompt, message template, model, options, think,
tools) read, checked and applied; and `/preset save` writing one into the config file.

A preset's `prompt` is a template for the first message of a conversation: `{{input}}` in it is
replaced by what was typed or piped (without it, the input follows the template after a blank
line). So `git diff | termchat --preset review` sends the review prompt with the diff in it.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from termchat.config import format_think, parse_think
from termchat.errors import ConfigError
from termchat.messages import Think
from termchat.profiles import check_options, checked_tables, where_in

if TYPE_CHECKING:
    from termchat.config import Config

PRESET_KEYS = ("system", "prompt", "model", "options", "think", "tools")
"""What a `[presets.NAME]` table may set."""

INPUT = "{{input}}"
"""Where the user's text goes in a preset's `prompt`."""

NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""A preset name: a TOML bare key, so `/preset save` writes it as it is."""


@dataclass(frozen=True)
class Preset:
    """One preset as the config file declares it. `think` applies only when `sets_think`."""

    name: str
    system: str | None = None
    prompt: str | None = None
    model: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    think: Think = None
    sets_think: bool = False
    tools: tuple[str, ...] = ()

    def fill(self, text: str) -> str:
        """The first message: `text` put into the preset's `prompt` (as it is without one)."""
        if not self.prompt:
            return text
        if INPUT in self.prompt:
            return self.prompt.replace(INPUT, text)
        return f"{self.prompt}\n\n{text}" if text else self.prompt

    def describe(self) -> str:
        """What it sets, in a few words, for /preset."""
        parts = []
        if self.model:
            parts.append(f"model {self.model}")
        if self.system:
            parts.append("system prompt")
        if self.prompt:
            parts.append("message template")
        if self.options:
            parts.append(", ".join(f"{k}={v}" for k, v in self.options.items()))
        if self.sets_think:
            parts.append(f"think {format_think(self.think)}")
        if self.tools:
            parts.append("tools " + ", ".join(self.tools))
        return "; ".join(parts) or "nothing"


def _where(path: Path | None, name: str, key: str | None = None) -> str:
    return where_in("presets", path, name, key)


def read_presets(tables: Mapping[str, Any], path: Path | None = None) -> dict[str, Preset]:
    """The `[presets]` tables of a config file, checked.

    Raises:
        ConfigError: an unknown key or a wrong value, naming the file, the table and the key,
            with the valid choices.
    """
    out: dict[str, Preset] = {}
    for name, table in checked_tables("presets", tables, PRESET_KEYS, path):
        texts: dict[str, str] = {}
        for key in ("system", "prompt", "model"):
            if key in table:
                if not isinstance(table[key], str):
                    raise ConfigError(f"{_where(path, name, key)} must be a string")
                texts[key] = table[key]
        if INPUT in texts.get("system", ""):
            raise ConfigError(f"{_where(path, name, 'system')}: put {INPUT} in `prompt`")
        think: Think = None
        if "think" in table:
            try:
                think = parse_think(table["think"])
            except ConfigError as exc:
                raise ConfigError(f"{_where(path, name, 'think')}: {exc}") from None
        tools = table.get("tools", [])
        if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
            raise ConfigError(f"{_where(path, name, 'tools')} must be a list of tool names")
        options = check_options(table.get("options", {}), _where(path, name, "options"))
        out[name] = Preset(
            name,
            options=options,
            think=think,
            sets_think="think" in table,
            tools=tuple(tools),
            **texts,
        )
    return out


def apply_preset(config: Config, preset: Preset) -> Config:
    """`config` with what the preset sets (its tools added to the enabled ones)."""
    return replace(
        config,
        preset=preset.name,
        system=preset.system if preset.system is not None else config.system,
        model=preset.model or config.model,
        options={**config.options, **preset.options},
        think=preset.think if preset.sets_think else config.think,
        tools=list(dict.fromkeys([*config.tools, *preset.tools])),
        chosen=config.chosen | {name for name, given in _given(preset).items() if given},
    )


def _given(preset: Preset) -> dict[str, bool]:
    """Which settings the preset sets (they win over a resumed conversation's)."""
    return {
        "model": bool(preset.model),
        "system": preset.system is not None,
        "options": bool(preset.options),
        "think": preset.sets_think,
    }


def preset_table(
    name: str,
    *,
    system: str | None,
    model: str | None,
    options: Mapping[str, Any],
    think: Think,
    tools: list[str],
) -> str:
    """The TOML text of `[presets.NAME]` holding these settings (what /preset save appends).

    Raises:
        ConfigError: a name that is not letters, digits, `-` and `_`.
    """
    if not NAME.fullmatch(name):
        raise ConfigError(f"Preset name {name!r}: use letters, digits, - and _ (up to 64)")
    lines = [f"[presets.{name}]"]
    if model:
        lines.append(f"model = {_toml(model)}")
    if system:
        lines.append(f"system = {_toml(system)}")
    if think is not None:
        lines.append(f"think = {_toml(format_think(think))}")
    if tools:
        lines.append(f"tools = {_toml(tools)}")
    if options:
        pairs = ", ".join(f"{key} = {_toml(value)}" for key, value in options.items())
        lines.append(f"options = {{ {pairs} }}")
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    """One TOML value: a string, a number, a boolean or a list of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    text = str(value)
    escaped = "".join(_escape(char) for char in text)
    return f'"{escaped}"'


def _escape(char: str) -> str:
    if char in '"\\':
        return "\\" + char
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    if ord(char) < 0x20 or ord(char) == 0x7F:
        return f"\\u{ord(char):04x}"
    return char


def save_preset(path: Path, name: str, table: str) -> None:
    """Append `table` (from `preset_table`) to the config file, keeping all that is in it,
    comments too; the file is replaced whole (never left half written) and is 0600.

    Raises:
        ConfigError: a preset of that name exists, or the file cannot be read or written.
    """
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}") from None
    if text and not text.endswith("\n"):
        text += "\n"
    joined = text + ("\n" if text else "") + table
    try:
        before = tomllib.loads(text)
        if name in (before.get("presets") or {}):
            raise ConfigError(f"{path} has a preset {name!r} already: choose another name")
        data = tomllib.loads(joined)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Cannot add [presets.{name}] to {path}: {exc}") from None
    if name not in data.get("presets", {}):
        raise ConfigError(f"Cannot add [presets.{name}] to {path}")
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(joined)
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"Cannot write config file {path}: {exc}") from None
