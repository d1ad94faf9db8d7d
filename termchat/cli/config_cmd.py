"""`termchat config path | show | edit`: where the config file is, what is in effect and from
where, and editing the file with a check after each save."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import typer

from termchat.cli.options import CHAT_OPTIONS
from termchat.config import config_path, load_config
from termchat.errors import ConfigError, stderr_line
from termchat.render.sanitize import one_line, sanitize

CHAT_VALUES = "chat-values"
"""Where the top-level command leaves its option values for a subcommand (`ctx.meta`)."""

config_app = typer.Typer(
    help="Show where the config file is, what is in effect (and from where), or edit it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    sys.stderr.write(stderr_line(one_line(message)))
    return typer.Exit(code)


@config_app.command("path")
def path() -> None:
    """Print the config file's path (whether or not it exists yet)."""
    sys.stdout.write(f"{config_path()}\n")


@config_app.command("show")
def show(ctx: typer.Context) -> None:
    """The settings in effect and where each came from: default, the config file, an
    environment variable or the command line (`termchat -m NAME config show`)."""
    from termchat.cli.chat import ChatOptions
    from termchat.settings_view import format_rows, settings_rows

    file = config_path()
    try:
        config = load_config(file)
        flags: dict[str, str] = {}
        values = ctx.meta.get(CHAT_VALUES)
        if values is not None:
            options = ChatOptions.from_values(values)
            config = options.configure(config)
            for option in CHAT_OPTIONS:
                if option.config and options.given(option):
                    flags[option.config] = option.names[0]
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    data: dict[str, Any] = {}
    if config.file is not None:
        data = tomllib.loads(config.file.read_text(encoding="utf-8"))  # read fine just now
    state = "" if file.exists() else " (not created yet: termchat config edit)"
    sys.stdout.write(sanitize(f"Config file: {file}{state}") + "\n\n")
    sys.stdout.write(sanitize(format_rows(settings_rows(config, data, os.environ, flags))))


def _editor() -> list[str] | None:
    """$VISUAL, else $EDITOR, else vi or nano if installed (None: none found)."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if chosen:
        try:
            return shlex.split(chosen)
        except ValueError:  # unbalanced quotes
            return None
    for name in ("vi", "nano"):
        found = shutil.which(name)
        if found:
            return [found]
    return None


def create_config(file: Path) -> None:
    """Write the commented template to `file` (private: 0600; its folder 0700)."""
    from termchat.settings_view import TEMPLATE

    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(TEMPLATE)


def _problem(file: Path) -> str | None:
    """What is wrong with the file, or None when termchat can use it."""
    try:
        load_config(file, environ={})
    except ConfigError as exc:
        return str(exc)
    return None


def _again() -> bool:
    """Ask whether to edit again; no answer (end of input) keeps the file."""
    sys.stdout.write("Edit it again? [Y/n] (n keeps the file as it is) ")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    if not answer:
        sys.stdout.write("\n")
        return False
    return answer.strip().lower() in ("", "y", "yes")


@config_app.command("edit")
def edit() -> None:
    """Open the config file in $VISUAL or $EDITOR (vi or nano if neither is set), created
    with a commented template when missing; after saving, say what is wrong, if anything,
    and offer to edit again."""
    file = config_path()
    editor = _editor()
    if editor is None:
        raise _fail(f"No editor found: set $EDITOR (the config file is {file})")
    if not file.exists():
        try:
            create_config(file)
        except OSError as exc:
            raise _fail(f"Cannot create {file}: {exc.strerror or exc}") from None
        sys.stdout.write(f"Created {file} from the template.\n")
    while True:
        try:
            status = subprocess.call([*editor, str(file)])
        except OSError as exc:
            raise _fail(f"Cannot start the editor {editor[0]!r}: {exc.strerror or exc}") from None
        if status != 0:
            raise _fail(f"The editor exited with status {status}; {file} is as it was saved")
        problem = _problem(file)
        if problem is None:
            sys.stdout.write(f"Saved {file}: the settings are valid.\n")
            return
        sys.stderr.write(stderr_line(one_line(problem), "error"))
        sys.stderr.flush()
        if not _again():
            raise _fail(f"Kept {file} as it is; termchat will refuse it until it is fixed")
