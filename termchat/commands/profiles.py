"""/profile (which server answers next) and /preset (apply, list, save a set of settings)."""

from __future__ import annotations

import tomllib
from dataclasses import replace

from termchat.app import ChatApp
from termchat.commands.base import Command
from termchat.config import config_path, format_think
from termchat.errors import CommandError, ToolError, UsageError
from termchat.presets import Preset, preset_table, read_presets, save_preset
from termchat.profiles import apply_profile, read_profiles, shown_host
from termchat.render.sanitize import name_text


def _file(app: ChatApp) -> str:
    return str(app.config.config_file or config_path())


async def cmd_profile(app: ChatApp, args: str) -> None:
    config = app.config
    profiles = read_profiles(config.profiles, config.config_file)
    if not args:
        if not profiles:
            app.renderer.notice(f"No profiles: add [profiles.NAME] tables to {_file(app)}.")
            return
        rows = [
            (
                "●" if name == config.profile else "",
                name,
                p.backend,
                shown_host(p.host or "(default)"),
                p.model or "",
                p.key_source(),
            )
            for name, p in profiles.items()
        ]
        app.renderer.table("Profiles", ["", "name", "backend", "host", "model", "key"], rows)
        now = config.profile or f"none (the default server, {shown_host(app.backend.host)})"
        app.renderer.notice(f"In use: {name_text(now)}. /profile NAME switches.")
        return
    profile = profiles.get(args)
    if profile is None:
        known = ", ".join(sorted(profiles)) or f"none: add [profiles.NAME] tables to {_file(app)}"
        raise CommandError(f"No profile {args!r}; profiles: {known}")
    chosen = apply_profile(config, profile)  # reads its key now; ConfigError says why not
    from termchat.backends.host import plain_http_key_warning
    from termchat.launch import make_backend

    backend = make_backend(chosen)
    previous = app.use_server(chosen, backend)
    await previous.aclose()
    conv = app.conversation
    if profile.model and profile.model != conv.model:
        app.set_model(profile.model, None)
    if profile.options:
        conv.options = {**conv.options, **profile.options}
    app.session.change_settings(model=conv.model, options=conv.options)
    warning = plain_http_key_warning(backend.host, chosen.server_api_key())
    if warning:
        app.renderer.warning(warning)
    app.renderer.notice(
        f"Profile {name_text(profile.name)}: the next reply comes from "
        f"{name_text(shown_host(backend.host))} ({profile.backend}), model {name_text(conv.model)}."
    )
    app.start_model_info()
    app.frontend.changed()


def _presets(app: ChatApp) -> dict[str, Preset]:
    return read_presets(app.config.presets, app.config.config_file)


async def cmd_preset(app: ChatApp, args: str) -> None:
    presets = _presets(app)
    word, _, rest = args.partition(" ")
    if not args:
        if not presets:
            app.renderer.notice(
                f"No presets: /preset save NAME keeps the current settings as one "
                f"(in {_file(app)})."
            )
            return
        mark = app.conversation.preset
        rows = [("●" if n == mark else "", n, p.describe()) for n, p in presets.items()]
        app.renderer.table("Presets", ["", "name", "sets"], rows)
        app.renderer.notice(
            "/preset NAME applies one · /preset save NAME keeps the current settings"
        )
        return
    if word == "save":
        _save(app, rest.strip())
        return
    preset = presets.get(args)
    if preset is None:
        known = ", ".join(sorted(presets)) or "none yet (/preset save NAME makes one)"
        raise CommandError(f"No preset {args!r}; presets: {known}")
    _apply(app, preset)


def _apply(app: ChatApp, preset: Preset) -> None:
    conv = app.conversation
    if preset.tools:
        if app.tools is None:
            raise CommandError(f"Preset {preset.name} needs tools, and tools are not set up.")
        try:
            for name in preset.tools:
                app.tools.enable(name)
        except ToolError as exc:
            raise CommandError(f"Preset {preset.name}: {exc}") from None
    if preset.model and preset.model != conv.model:
        app.set_model(preset.model, None)
    if preset.system is not None:
        conv.system = preset.system
    conv.options = {**conv.options, **preset.options}
    if preset.sets_think:
        conv.think = preset.think
    conv.preset = preset.name
    app.preset = preset
    app.config = replace(app.config, preset=preset.name)
    app.session.change_settings(
        model=conv.model,
        system=conv.system,
        options=conv.options,
        think=conv.think,
        preset=preset.name,
    )
    note = ""
    if preset.prompt and conv.messages:
        note = " Its message template applies to the first message of a conversation (/new)."
    app.renderer.notice(f"Preset {name_text(preset.name)}: {preset.describe()}.{note}")
    app.start_model_info()
    app.frontend.changed()


def _save(app: ChatApp, name: str) -> None:
    if not name:
        raise UsageError("a name is needed")
    conv = app.conversation
    tools = []
    if app.tools is not None:
        tools = [r.name for r in app.tools.rows() if r.enabled and r.source == "builtin"]
    table = preset_table(
        name,
        system=conv.system,
        model=conv.model,
        options=conv.options,
        think=conv.think,
        tools=tools,
    )
    path = app.config.config_file or config_path()
    save_preset(path, name, table)
    written = tomllib.loads(table)["presets"][name]
    app.config = replace(app.config, presets={**app.config.presets, name: written})
    think = "" if conv.think is None else f", think {format_think(conv.think)}"
    app.renderer.notice(
        f"Saved preset {name} to {path} (model {name_text(conv.model)}{think}): "
        f"/preset {name} or termchat --preset {name} applies it."
    )


def _names(app: ChatApp) -> list[str]:
    return ["save", *app.config.presets]


def _profile_names(app: ChatApp) -> list[str]:
    return list(app.config.profiles)


COMMANDS = (
    Command(
        "profile",
        "/profile [NAME]",
        "List the server profiles; switch the next replies to profile NAME",
        cmd_profile,
        completions=_profile_names,
    ),
    Command(
        "preset",
        "/preset [NAME | save NAME]",
        "List presets; apply one; save the current settings as one",
        cmd_preset,
        completions=_names,
    ),
)
