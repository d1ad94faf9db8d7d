"""Settings: defaults < config.toml < environment < flags, and where termchat keeps its state."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from termchat.attachments import Limits
from termchat.configfile import BadSetting, toml_problem, where
from termchat.errors import ConfigError
from termchat.filecheck import MAX_NESTING, deeper_than, exposure_warnings, too_deep
from termchat.keymap import parse_edit_mode, parse_keys
from termchat.messages import Think

THINK_LEVELS = ("low", "medium", "high", "max")
CONTINUE_MODES = ("auto", "prefill", "ask")
INTERRUPTED_POLICIES = ("mark", "keep", "drop")  # termchat.cutreplies.Policy

#: Ollama options `/set` accepts, with their value types.
OPTION_TYPES: dict[str, type] = {
    "temperature": float,
    "top_p": float,
    "top_k": int,
    "min_p": float,
    "typical_p": float,
    "repeat_penalty": float,
    "repeat_last_n": int,
    "presence_penalty": float,
    "frequency_penalty": float,
    "seed": int,
    "num_ctx": int,
    "num_predict": int,
    "num_keep": int,
    "num_batch": int,
    "num_gpu": int,
    "num_thread": int,
    "stop": list,
}


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\*?$")
"""A name `tool_env` may list: a variable, or a prefix ending in `*` (`AWS_*`)."""

_HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?")


def parse_think(value: str | bool | None) -> Think:
    """Read a think setting: on/off/true/false/auto or a level.

    Raises:
        ConfigError: for anything else.
    """
    if value is None or isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise ConfigError(
            f"Unknown think value {value!r}: use on, off, auto, low, medium, high or max"
        )
    text = value.strip().lower()
    if text in ("on", "true", "yes", "1"):
        return True
    if text in ("off", "false", "no", "0"):
        return False
    if text in ("auto", "default", ""):
        return None
    if text in THINK_LEVELS:
        return text
    raise ConfigError(f"Unknown think value {value!r}: use on, off, auto, low, medium, high or max")


def format_think(value: Think) -> str:
    """The inverse of parse_think, for display."""
    if value is None:
        return "auto"
    if value is True:
        return "on"
    if value is False:
        return "off"
    return str(value)


def parse_option(key: str, value: str) -> Any:
    """Convert `/set KEY VALUE` text to the option's type.

    Raises:
        ConfigError: unknown key or a value of the wrong type.
    """
    kind = OPTION_TYPES.get(key)
    if kind is None:
        known = ", ".join(sorted(OPTION_TYPES))
        raise ConfigError(f"Unknown option {key!r}. Known options: {known}")
    try:
        if kind is list:
            return [part for part in value.split("|") if part] or [value]
        if kind is int:
            return int(value)
        return float(value)
    except ValueError:
        raise ConfigError(f"Option {key} needs a number, not {value!r}") from None


def state_dir() -> Path:
    """Where termchat keeps data: $TERMCHAT_HOME, else the platform's user data directory."""
    home = os.environ.get("TERMCHAT_HOME")
    if home:
        return Path(home).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("termchat", appauthor=False))


def config_path() -> Path:
    """The config file: $TERMCHAT_HOME/config.toml, else the platform's user config directory."""
    home = os.environ.get("TERMCHAT_HOME")
    if home:
        return Path(home).expanduser() / "config.toml"
    import platformdirs

    return Path(platformdirs.user_config_dir("termchat", appauthor=False)) / "config.toml"


@dataclass
class Config:
    """Everything that shapes a session. Secrets live here only in memory."""

    model: str | None = None
    host: str | None = None
    backend: str = "ollama"  # or "openai"
    api_key: str | None = None
    think: Think = None
    show_thinking: bool = True
    theme: str = ""  # none chosen: light or dark as the terminal's background is
    system: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    keep_alive: str | None = None
    tools: list[str] = field(default_factory=list)
    tools_files: list[str] = field(default_factory=list)
    tool_policies: dict[str, str] = field(default_factory=dict)
    mcp_servers: dict[str, dict[str, Any]] = field(default_factory=dict)
    tool_env: list[str] = field(default_factory=list)
    fetch_allow_hosts: list[str] = field(default_factory=list)
    tool_chain_limit: int = 10
    save: bool = True
    interrupted: str = "mark"  # cut replies sent back: marked, kept or dropped (cutreplies)
    continue_mode: str = "auto"  # /continue on OpenAI-compatible servers (termchat.continuation)
    profiles: dict[str, Any] = field(default_factory=dict)
    """The `[profiles.NAME]` tables as written (checked by `termchat.profiles`)."""
    presets: dict[str, Any] = field(default_factory=dict)
    """The `[presets.NAME]` tables as written (checked by `termchat.presets`)."""
    profile: str | None = None  # the profile in use (--profile, /profile)
    preset: str | None = None  # the preset applied (--preset, /preset)
    chosen: frozenset[str] = frozenset()
    """Settings --profile or --preset set: like flags, they win over a resumed conversation's."""
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request (a profile's)
    config_file: Path | None = None  # where /preset save writes
    file_limit_kb: int = 200  # the largest text file /file and @path inline
    image_limit_mb: int = 20  # the largest image /image and image paths attach
    keys: dict[str, list[str]] = field(default_factory=dict)
    """The keys chosen in `[keys]` (see keymap.effective_keys for all of them)."""
    edit_mode: str = "emacs"
    home: Path = field(default_factory=state_dir)
    file: Path | None = None
    """The config file read (None: there was none)."""
    # From the environment, kept apart so that flags chosen later (--backend, --host) decide.
    env_ollama_host: str | None = None
    env_ollama_key: str | None = None
    env_openai_key: str | None = None
    host_given: bool = False  # --host was on the command line
    warnings: list[str] = field(default_factory=list)
    """Problems worth a word that do not stop termchat (the launcher shows them)."""

    def server_host(self) -> str | None:
        """The server address: --host, else $OLLAMA_HOST (Ollama only), else the config file."""
        if self.backend == "ollama" and not self.host_given:
            return self.env_ollama_host or self.host
        return self.host

    def server_api_key(self) -> str | None:
        """The backend's key: $OLLAMA_API_KEY or $OPENAI_API_KEY, else the config file."""
        env_key = self.env_ollama_key if self.backend == "ollama" else self.env_openai_key
        return env_key or self.api_key

    @property
    def history_file(self) -> Path:
        """The prompt's line history."""
        return self.home / "history"

    @property
    def database(self) -> Path:
        """The session database."""
        return self.home / "sessions.db"

    @property
    def attach_limits(self) -> Limits:
        """The largest files that may be attached, in bytes."""
        return Limits(text=self.file_limit_kb * 1000, image=self.image_limit_mb * 1_000_000)

    def with_flags(self, **flags: Any) -> Config:
        """A copy with every flag that was given (not None) applied."""
        given = {k: v for k, v in flags.items() if v is not None}
        if "host" in given:
            given["host_given"] = True
        return replace(self, **given)


_KNOWN_KEYS = {
    "model",
    "host",
    "backend",
    "api_key",
    "think",
    "show_thinking",
    "hide_thinking",
    "theme",
    "system",
    "options",
    "keep_alive",
    "tools",
    "tools_files",
    "tool_policies",
    "mcp_servers",
    "tool_env",
    "fetch_allow_hosts",
    "tool_chain_limit",
    "save",
    "interrupted",
    "continue_mode",
    "profiles",
    "presets",
    "file_limit_kb",
    "image_limit_mb",
    "keys",
    "edit_mode",
}


def load_config(path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Build the Config from defaults, the config file and the environment.

    Raises:
        ConfigError: the file is not valid TOML or holds a wrong value.
    """
    env = os.environ if environ is None else environ
    path = path or config_path()
    data: dict[str, Any] = {}
    text = ""
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Cannot read config file {path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(toml_problem(path, text, exc)) from None
        except RecursionError:  # tomllib recurses once per level of [[[…]]] or {a = {…}}
            raise ConfigError(too_deep(path)) from None
        if deeper_than(data, MAX_NESTING):  # e.g. [a.b.c.…] headers, which tomllib allows
            raise ConfigError(too_deep(path))
    config = Config(file=path if path.exists() else None, config_file=path)
    for key in data:  # one at a time, so that a message can point at the key's line
        if key not in _KNOWN_KEYS:
            close = difflib.get_close_matches(key, _KNOWN_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{where(path, text, key)}: Unknown setting {key!r}{hint}. "
                f"Known settings: {', '.join(sorted(_KNOWN_KEYS))}"
            )
        try:
            _apply_file(config, {key: data[key]})
        except (TypeError, ValueError, ConfigError) as exc:
            line = where(path, text, key, getattr(exc, "inner", None))
            raise ConfigError(f"{line}: {exc}") from None
    config.warnings += exposure_warnings(path, data)
    if env.get("TERMCHAT_MODEL"):
        config.model = env["TERMCHAT_MODEL"]
    if env.get("TERMCHAT_THEME"):
        config.theme = env["TERMCHAT_THEME"]
    config.env_ollama_host = env.get("OLLAMA_HOST") or None
    config.env_ollama_key = env.get("OLLAMA_API_KEY") or None
    config.env_openai_key = env.get("OPENAI_API_KEY") or None
    return config


def _apply_file(config: Config, data: dict[str, Any]) -> None:
    for key in ("model", "host", "system", "keep_alive", "api_key"):
        if key in data:
            setattr(config, key, _expect(key, data[key], str))
    if "backend" in data:
        backend = _expect("backend", data["backend"], str)
        if backend not in ("ollama", "openai"):
            raise ValueError(f"backend must be 'ollama' or 'openai', not {backend!r}")
        config.backend = backend
    if "theme" in data:
        config.theme = _expect("theme", data["theme"], str)
    if "think" in data:
        config.think = parse_think(data["think"])
    if "show_thinking" in data:
        config.show_thinking = _expect("show_thinking", data["show_thinking"], bool)
    if "hide_thinking" in data:
        config.show_thinking = not _expect("hide_thinking", data["hide_thinking"], bool)
    if "options" in data:
        options = _expect("options", data["options"], dict)
        for key, value in options.items():
            kind = OPTION_TYPES.get(key)
            if kind is None:
                known = ", ".join(sorted(OPTION_TYPES))
                raise BadSetting(
                    f"unknown option {key!r} in [options]; known options: {known}", inner=key
                )
            if not option_ok(value, kind):
                raise BadSetting(
                    f"option {key} must be a {kind.__name__}, not {value!r}", inner=key
                )
        config.options = dict(options)
    if "tools" in data:
        config.tools = [str(t) for t in _expect("tools", data["tools"], list)]
    if "tools_files" in data:
        config.tools_files = [str(t) for t in _expect("tools_files", data["tools_files"], list)]
    if "tool_policies" in data:
        policies = _expect("tool_policies", data["tool_policies"], dict)
        for name, policy in policies.items():
            if policy not in ("allow", "ask", "deny"):
                raise ValueError(f"tool policy for {name!r} must be allow, ask or deny")
        config.tool_policies = {str(k): str(v) for k, v in policies.items()}
    if "mcp_servers" in data:
        config.mcp_servers = dict(_expect("mcp_servers", data["mcp_servers"], dict))
    if "tool_env" in data:
        names = _expect("tool_env", data["tool_env"], list)
        for name in names:
            if not isinstance(name, str) or not ENV_NAME.match(name):
                raise ValueError(
                    f"tool_env: {name!r} is not a variable name (NAME, or a prefix like AWS_*)"
                )
        config.tool_env = list(names)
    if "fetch_allow_hosts" in data:
        hosts = _expect("fetch_allow_hosts", data["fetch_allow_hosts"], list)
        config.fetch_allow_hosts = [_allowed_host(entry) for entry in hosts]
    if "tool_chain_limit" in data:
        limit = _expect("tool_chain_limit", data["tool_chain_limit"], int)
        if isinstance(limit, bool) or limit < 1:
            raise ValueError("tool_chain_limit must be a whole number of at least 1")
        config.tool_chain_limit = limit
    if "save" in data:
        config.save = _expect("save", data["save"], bool)
    if "interrupted" in data:
        policy = _expect("interrupted", data["interrupted"], str)
        if policy not in INTERRUPTED_POLICIES:
            raise ValueError(f"interrupted must be mark, keep or drop, not {policy!r}")
        config.interrupted = policy
    if "continue_mode" in data:
        mode = _expect("continue_mode", data["continue_mode"], str)
        if mode not in CONTINUE_MODES:
            raise ValueError(f"continue_mode must be auto, prefill or ask, not {mode!r}")
        config.continue_mode = mode
    for key in ("profiles", "presets"):
        if key in data:
            setattr(config, key, dict(_expect(key, data[key], dict)))
    for key in ("file_limit_kb", "image_limit_mb"):
        if key in data:
            limit = _expect(key, data[key], int)
            if limit < 1:
                raise ValueError(f"{key} must be a whole number of at least 1")
            setattr(config, key, limit)
    if "keys" in data:
        config.keys = parse_keys(data["keys"])
    if "edit_mode" in data:
        config.edit_mode = parse_edit_mode(data["edit_mode"])


def split_host_port(entry: str) -> tuple[str, int | None]:
    """Read a `host`, `host:port`, `v6` or `[v6]:port` entry (lower-cased, no trailing dot).

    Raises:
        ValueError: Not a host name or address with an optional port from 1 to 65535.
    """
    text = entry.strip()
    bracketed = re.fullmatch(r"\[([^\]]+)\](?::(\d{1,5}))?", text)
    if bracketed:
        host, port = bracketed[1], bracketed[2]
    elif text.count(":") > 1:  # a bare IPv6 address: no port
        host, port = text, None
    else:
        host, colon, port = text.partition(":")
        if colon and not port.isdigit():
            raise ValueError(f"{entry!r} is not a host or host:port")
    host = host.rstrip(".").lower()
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{entry!r} is not a host or host:port") from None
    elif not _HOST_NAME.fullmatch(host):
        raise ValueError(f"{entry!r} is not a host or host:port")
    number = int(port) if port else None
    if number is not None and not 0 < number < 65536:
        raise ValueError(f"{entry!r} is not a host or host:port")
    return host, number


def _allowed_host(entry: Any) -> str:
    if not isinstance(entry, str):
        raise ValueError(f"fetch_allow_hosts: {entry!r} is not a host or host:port")
    try:
        host, port = split_host_port(entry)
    except ValueError as exc:
        raise ValueError(f"fetch_allow_hosts: {exc}") from None
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown


def option_ok(value: Any, kind: type) -> bool:
    """Whether `value` read from TOML is of the option's type."""
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, (int, float))
    if kind is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, kind)


def _expect(key: str, value: Any, kind: type) -> Any:
    if kind is not bool and isinstance(value, bool):
        raise TypeError(f"{key} must be a {kind.__name__}, not a boolean")
    if not isinstance(value, kind):
        raise TypeError(f"{key} must be a {kind.__name__}, not {type(value).__name__}")
    return value
