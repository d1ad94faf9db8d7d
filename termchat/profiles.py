"""Profiles: `[profiles.NAME]` tables (a server, its key, model, options, headers) read, checked
and applied to a Config; the API key read from the environment or a key command, never stored.

A profile's key lives only in memory: it is read when the profile is chosen (at start with
`--profile`, or by `/profile NAME`) from the variable `api_key_env` names, or from what
`api_key_cmd` prints (run without a shell, with a timeout). The config file never holds it, nor
does the session database, an export or an error message.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from termchat.config import ENV_NAME, OPTION_TYPES, option_ok
from termchat.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    from termchat.config import Config

PROFILE_KEYS = ("backend", "host", "api_key_env", "api_key_cmd", "model", "options", "headers")
"""What a `[profiles.NAME]` table may set."""

KEY_TIMEOUT = 10.0
"""Seconds a key command (`pass show …`) may take."""


@dataclass(frozen=True)
class Profile:
    """One server setup, as the config file declares it (its key is read when it is used)."""

    name: str
    backend: str = "ollama"
    host: str | None = None
    api_key_env: str | None = None
    api_key_cmd: str | None = None
    model: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def key_source(self) -> str:
        """Where its key comes from, for /profile: `$NAME (set)`, `command`, or `none`."""
        if self.api_key_cmd:
            return "command"
        if self.api_key_env:
            state = "set" if os.environ.get(self.api_key_env) else "not set"
            return f"${self.api_key_env} ({state})"
        return "none"


def where(path: Path | None, name: str, key: str | None = None) -> str:
    """`config.toml [profiles.NAME] key` — how an error names the place."""
    return where_in("profiles", path, name, key)


def where_in(table: str, path: Path | None, name: str, key: str | None = None) -> str:
    """`FILE [TABLE.NAME] key`, for the error messages of profiles and presets."""
    place = f"[{table}.{name}]" + (f" {key}" if key else "")
    return f"{path} {place}" if path else place


def checked_tables(
    kind: str, tables: Mapping[str, Any], keys: tuple[str, ...], path: Path | None
) -> list[tuple[str, dict[str, Any]]]:
    """The `[KIND.NAME]` tables of a config file, each a table with only `keys` in it.

    Raises:
        ConfigError: a value that is not a table, or an unknown key (naming the valid ones).
    """
    checked = []
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{where_in(kind, path, name)} must be a table ([{kind}.{name}])")
        unknown = sorted(set(table) - set(keys))
        if unknown:
            raise ConfigError(
                f"{where_in(kind, path, name)}: unknown key {unknown[0]!r}; "
                f"valid keys: {', '.join(keys)}"
            )
        checked.append((name, table))
    return checked


def check_options(value: Any, place: str) -> dict[str, Any]:
    """A table of model options, each a known one of the right type.

    Raises:
        ConfigError: naming `place`, the key and the valid choices.
    """
    if not isinstance(value, dict):
        raise ConfigError(f"{place} must be a table of model options")
    for key, item in value.items():
        kind = OPTION_TYPES.get(key)
        if kind is None:
            known = ", ".join(sorted(OPTION_TYPES))
            raise ConfigError(f"{place}: unknown option {key!r}; valid options: {known}")
        if not option_ok(item, kind):
            raise ConfigError(f"{place}: option {key} must be a {kind.__name__}, not {item!r}")
    return dict(value)


def read_profiles(tables: Mapping[str, Any], path: Path | None = None) -> dict[str, Profile]:
    """The `[profiles]` tables of a config file, checked.

    Raises:
        ConfigError: an unknown key or a wrong value, naming the file, the table and the key,
            with the valid choices.
    """
    out: dict[str, Profile] = {}
    for name, table in checked_tables("profiles", tables, PROFILE_KEYS, path):
        texts: dict[str, str] = {}
        for key in ("backend", "host", "api_key_env", "api_key_cmd", "model"):
            if key in table:
                if not isinstance(table[key], str) or not table[key].strip():
                    raise ConfigError(f"{where(path, name, key)} must be a non-empty string")
                texts[key] = table[key].strip()
        backend = texts.pop("backend", "ollama")
        if backend not in ("ollama", "openai"):
            raise ConfigError(f"{where(path, name, 'backend')} must be ollama or openai")
        env = texts.get("api_key_env")
        if env is not None and (not ENV_NAME.match(env) or env.endswith("*")):
            raise ConfigError(f"{where(path, name, 'api_key_env')} must be a variable name")
        if env and "api_key_cmd" in texts:
            raise ConfigError(f"{where(path, name)}: give api_key_env or api_key_cmd, not both")
        headers = table.get("headers", {})
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and "\n" not in k + v
            for k, v in headers.items()
        ):
            raise ConfigError(f"{where(path, name, 'headers')} must be a table of strings")
        if any(k.lower() == "authorization" for k in headers):
            raise ConfigError(
                f"{where(path, name, 'headers')}: an Authorization header would keep a secret "
                "in the file; use api_key_env or api_key_cmd"
            )
        options = check_options(table.get("options", {}), where(path, name, "options"))
        out[name] = Profile(name, backend, options=options, headers=dict(headers), **texts)
    return out


def read_key(profile: Profile, environ: Mapping[str, str] | None = None) -> str | None:
    """The profile's API key, read now (None when it has none).

    Raises:
        ConfigError: the variable is not set, or the key command failed (its output is not
            repeated: it may hold the secret).
    """
    env = os.environ if environ is None else environ
    if profile.api_key_env:
        value = env.get(profile.api_key_env, "").strip()
        if not value:
            raise ConfigError(
                f"Profile {profile.name}: ${profile.api_key_env} is not set (its API key)"
            )
        return value
    if not profile.api_key_cmd:
        return None
    try:
        argv = shlex.split(profile.api_key_cmd)
    except ValueError as exc:
        raise ConfigError(f"Profile {profile.name}: api_key_cmd cannot be read: {exc}") from None
    if not argv:
        raise ConfigError(f"Profile {profile.name}: api_key_cmd is empty")
    import subprocess

    said = f"Profile {profile.name}: the key command {argv[0]!r}"
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=KEY_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{said} took longer than {KEY_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise ConfigError(f"{said} could not run: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise ConfigError(f"{said} failed (exit status {done.returncode})")
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    key = lines[0].strip() if lines else ""  # `pass show` prints the secret on its first line
    if not key:
        raise ConfigError(f"{said} printed no key")
    return key


def apply_profile(
    config: Config, profile: Profile, environ: Mapping[str, str] | None = None
) -> Config:
    """`config` pointed at the profile's server: backend, host, key, headers, and its model and
    options when it sets them. The environment's OLLAMA_HOST and keys do not apply to it.

    Raises:
        ConfigError: its key cannot be read (see `read_key`).
    """
    key = read_key(profile, environ)
    return replace(
        config,
        profile=profile.name,
        backend=profile.backend,
        host=profile.host,
        host_given=profile.host is not None,
        api_key=key,
        env_ollama_key=None,
        env_openai_key=None,
        env_ollama_host=None,
        headers=dict(profile.headers),
        model=profile.model or config.model,
        options={**config.options, **profile.options},
        chosen=config.chosen | _set(model=profile.model, options=profile.options),
    )


def _set(**settings: Any) -> frozenset[str]:
    """The names of the settings that are given (not None, not empty)."""
    return frozenset(name for name, value in settings.items() if value not in (None, {}, ()))


def shown_host(url: str) -> str:
    """A server address as it may be shown and stored: without a user or password in it."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
