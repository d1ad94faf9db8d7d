"""The effective settings as rows, each with where it came from (`termchat config show`), and
the commented template a new config file starts from. Pure: plain values in, strings out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from termchat.backends.host import DEFAULT_HOST, OPENAI_DEFAULT
from termchat.config import Config, format_think
from termchat.keymap import effective_keys, keys_label

ENV_SETTINGS = {"model": "TERMCHAT_MODEL", "theme": "TERMCHAT_THEME", "home": "TERMCHAT_HOME"}
"""Settings an environment variable overrides whatever the backend (see config.load_config)."""

TEMPLATE = """\
# termchat settings. Remove the # in front of a line to use it.
# Order: built-in defaults < this file < environment variables < command-line flags.
# `termchat config show` lists what is in effect and where each value came from.

# model = "qwen3"
# host = "127.0.0.1:11434"        # $OLLAMA_HOST wins over this (Ollama backend)
# backend = "ollama"              # or "openai": a /v1 server (vLLM, llama.cpp, LM Studio)
# think = "auto"                  # on, off, auto, low, medium, high, max
# show_thinking = true            # false: reasoning collapsed to one line
# theme = "default"
# system = "You are a concise assistant."
# keep_alive = "5m"
# save = true                     # false: nothing is written to the history database
# edit_mode = "emacs"             # or "vi"
# tools = ["calculator"]
# tool_chain_limit = 10

# [options]                       # model options, as /set takes them
# temperature = 0.7
# num_ctx = 8192

# [keys]                          # c-t is Ctrl-T; escape enter is Alt-Enter; a list: several
# toggle_thinking = "c-t"
# stop = "c-c"
# newline = ["escape enter", "c-j"]
# editor = "c-x c-e"
"""


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    text = " ".join(str(value).split())
    return text if len(text) <= 60 else text[:59] + "…"


class _Sources:
    """Where one setting came from, by the rules of config.load_config and the flags."""

    def __init__(
        self,
        config: Config,
        file_keys: Mapping[str, Any],
        environ: Mapping[str, str],
        flags: Mapping[str, str],
    ) -> None:
        self.config = config
        self.file_keys = file_keys
        self.environ = environ
        self.flags = flags

    def of(self, name: str, file_key: str | None = None, env: str | None = None) -> str:
        if name in self.flags:
            return f"command line ({self.flags[name]})"
        env = env or ENV_SETTINGS.get(name)
        if env and self.environ.get(env):
            return f"environment (${env})"
        keys = (file_key,) if file_key else (name,)
        if any(key in self.file_keys for key in keys):
            return f"config file ({self.config.file})"
        return "default"


def settings_rows(
    config: Config,
    file_data: Mapping[str, Any],
    environ: Mapping[str, str],
    flags: Mapping[str, str],
) -> list[tuple[str, str, str]]:
    """(setting, value, source) for every setting in effect. Secrets are never shown.

    Args:
        config: The settings in effect (file, environment and flags applied).
        file_data: The config file's table as read (empty when there is none).
        environ: The environment termchat was started with.
        flags: Config setting -> the option that set it on the command line.
    """
    src = _Sources(config, file_data, environ, flags)
    rows: list[tuple[str, str, str]] = [("model", _shown(config.model), src.of("model"))]
    rows.append(("backend", config.backend, src.of("backend")))
    host = config.server_host()
    host_env = "OLLAMA_HOST" if config.backend == "ollama" and not config.host_given else None
    default_host = (DEFAULT_HOST if config.backend == "ollama" else OPENAI_DEFAULT).removeprefix(
        "http://"
    )
    if host_env and config.env_ollama_host:
        host_source = f"environment (${host_env})"
    else:
        host_source = src.of("host")
    rows.append(("host", host or f"{default_host} (built in)", host_source))
    key_env = "OLLAMA_API_KEY" if config.backend == "ollama" else "OPENAI_API_KEY"
    key = config.server_api_key()
    rows.append(("api_key", "set (not shown)" if key else "(none)", src.of("api_key", env=key_env)))
    rows.append(("think", format_think(config.think), src.of("think")))
    show_key = "hide_thinking" if "hide_thinking" in file_data else "show_thinking"
    rows.append(("show_thinking", _shown(config.show_thinking), src.of("show_thinking", show_key)))
    theme = config.theme or "(light/dark: the terminal's)"
    rows.append(("theme", _shown(theme), src.of("theme")))
    for name in ("system", "options", "keep_alive", "tools", "tools_files"):
        rows.append((name, _shown(getattr(config, name)), src.of(name)))
    rows.append(("tool_policies", _shown(config.tool_policies), src.of("tool_policies")))
    rows.append(("mcp_servers", _shown(list(config.mcp_servers)), src.of("mcp_servers")))
    for name in ("tool_env", "fetch_allow_hosts", "tool_chain_limit", "save", "edit_mode"):
        rows.append((name, _shown(getattr(config, name)), src.of(name)))
    for name in ("interrupted", "continue_mode", "file_limit_kb", "image_limit_mb"):
        rows.append((name, _shown(getattr(config, name)), src.of(name)))
    for name in ("profiles", "presets"):  # their names; `profile`/`preset`: the one in use
        rows.append((name, _shown(sorted(getattr(config, name))), src.of(name)))
    for name in ("profile", "preset"):
        rows.append((name, _shown(getattr(config, name)), src.of(name)))
    chosen = file_data.get("keys", {}) if isinstance(file_data.get("keys"), dict) else {}
    for action, specs in effective_keys(config.keys, config.edit_mode).items():
        source = f"config file ({config.file})" if action in chosen else "default"
        rows.append((f"keys.{action}", keys_label(specs), source))
    rows.append(("home", str(config.home), src.of("home")))
    return rows


def format_rows(rows: list[tuple[str, str, str]]) -> str:
    """The rows as aligned text columns, one setting a line."""
    name_width = max(len(name) for name, _, _ in rows)
    value_width = min(max(len(value) for _, value, _ in rows), 40)
    lines = [
        f"{name.ljust(name_width)}  {value.ljust(value_width)}  {source}"
        for name, value, source in rows
    ]
    return "\n".join(lines) + "\n"
