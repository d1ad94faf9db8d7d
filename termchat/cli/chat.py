"""The chat command's options as one value (`ChatOptions`), and how they override the Config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from termchat.cli.options import CHAT_OPTIONS, FLAG, LIST, WORDS, Option
from termchat.config import Config, parse_option, parse_think
from termchat.errors import ConfigError


@dataclass(frozen=True)
class ChatOptions:
    """The chat command's options as given (None / False / empty: not given).

    One field per row of `CHAT_OPTIONS`, named by its `dest`; the prompt words are already in
    `prompt`.
    """

    model: str | None = None
    prompt: str | None = None
    host: str | None = None
    backend: str | None = None
    think: str | None = None
    no_think: bool = False
    hide_thinking: bool = False
    show_thinking: bool = False
    system: str | None = None
    option: tuple[str, ...] = ()
    profile: str | None = None
    preset: str | None = None
    theme: str | None = None
    json: bool = False
    verbose: bool = False
    tool: tuple[str, ...] = ()
    tools_file: tuple[str, ...] = ()
    yes: bool = False
    continue_last: bool = False
    resume: str | None = None
    no_save: bool = False
    version: bool = False

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> ChatOptions:
        """The options from parsed values (by `dest`, with the prompt words under WORDS).

        Raises:
            ConfigError: the prompt was given both ways.
        """
        fields: dict[str, Any] = {}
        for option in CHAT_OPTIONS:
            value = values[option.dest]
            fields[option.dest] = tuple(value) if isinstance(value, list) else value
        words = list(values.get(WORDS) or [])
        if words:
            (target,) = [option for option in CHAT_OPTIONS if option.words]
            if fields[target.dest] is not None:
                raise ConfigError(
                    f"The prompt was given twice ({target.names[-1]} and as words): give it once"
                )
            fields[target.dest] = " ".join(words)
        return cls(**fields)

    def given(self, option: Option) -> bool:
        """Whether `option` was on the command line."""
        return getattr(self, option.dest) not in (None, False, ())

    @property
    def show_thinking_flag(self) -> bool | None:
        """--show-thinking / --hide-thinking, or None when neither was given."""
        return True if self.show_thinking else (False if self.hide_thinking else None)

    @property
    def explicit(self) -> frozenset[str]:
        """The Config settings given as options (they win over a resumed conversation's)."""
        return frozenset(o.config for o in CHAT_OPTIONS if o.config and self.given(o))

    def configure(self, config: Config) -> Config:
        """`config` with the settings these options override.

        Raises:
            ConfigError: a value the setting does not accept, or two options that set one
                setting differently (`--think` and `--no-think`); a profile or preset that
                is unknown, wrongly written, or whose key cannot be read.
        """
        config = _chosen(config, self.profile, self.preset)
        settings: dict[str, Any] = {}
        setters: dict[str, Option] = {}
        for option in CHAT_OPTIONS:
            if not option.config or not self.given(option):
                continue
            value = _setting(option, getattr(self, option.dest), config)
            earlier = setters.get(option.config)
            if earlier is not None and settings[option.config] != value:
                raise ConfigError(f"{earlier.names[0]} and {option.names[0]} contradict each other")
            settings[option.config] = value
            setters[option.config] = option
        if "host" in settings:
            settings["host_given"] = True
        return replace(config, **settings)  # None too: `--think auto` overrides the file


def _chosen(config: Config, profile: str | None, preset: str | None) -> Config:
    """`config` with its profiles and presets checked, and the ones named applied (the file's
    settings < the profile < the preset < the other options)."""
    from termchat.presets import apply_preset, read_presets
    from termchat.profiles import apply_profile, read_profiles

    profiles = read_profiles(config.profiles, config.config_file)
    presets = read_presets(config.presets, config.config_file)
    if profile is not None:
        if profile not in profiles:
            raise ConfigError(_unknown("profile", profile, profiles, config))
        config = apply_profile(config, profiles[profile])
    if preset is not None:
        if preset not in presets:
            raise ConfigError(_unknown("preset", preset, presets, config))
        config = apply_preset(config, presets[preset])
    return config


def _unknown(kind: str, name: str, known: Mapping[str, Any], config: Config) -> str:
    where = config.config_file or "the config file"
    choices = ", ".join(sorted(known)) or f"none: add [{kind}s.NAME] tables"
    return f"No {kind} {name!r} in {where}; {kind}s: {choices}"


def _setting(option: Option, value: Any, config: Config) -> Any:
    """The value of `option.config` that `option` given as `value` asks for."""
    if option.kind == FLAG:
        return option.sets
    if option.choices and value not in option.choices:
        allowed = " or ".join(option.choices)
        raise ConfigError(f"{option.names[0]} must be {allowed}, not {value!r}")
    if option.config == "think":
        return parse_think(value)
    if option.config == "options":
        return {**config.options, **dict(_model_option(option, item) for item in value)}
    if option.kind == LIST:  # added to the configured ones, each once
        return list(dict.fromkeys([*getattr(config, option.config), *value]))
    return value


def _model_option(option: Option, item: str) -> tuple[str, Any]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"{option.names[0]} needs KEY=VALUE, not {item!r}")
    return key.strip(), parse_option(key.strip(), value.strip())
