"""The commands about what is on screen: /copy (a reply, a code block or reasoning, to the
clipboard) and /theme (switch the colours live)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from termchat.clipboard import Tmux, choose, copied_message, local_tool
from termchat.commands.base import Command
from termchat.errors import CommandError, UsageError
from termchat.themes import list_themes, load_theme, user_theme_dir

if TYPE_CHECKING:
    from termchat.app import ChatApp
    from termchat.messages import Message

TOOL_TIMEOUT = 5.0
"""Seconds a clipboard tool may take to take the text."""


def code_blocks(markdown: str) -> list[str]:
    """The code of each code block of `markdown` (fenced or indented, at any depth), in the
    order they are numbered on screen, exactly as written."""
    from termchat.render.blocks import make_parser

    tokens = make_parser().parse(markdown)
    # the fence's own line end is not part of the code
    return [t.content.removesuffix("\n") for t in tokens if t.type in ("fence", "code_block")]


def reply_number(replies: Sequence[Message], number: str) -> int:
    """The reply (counted from 1) that `number`, as typed after a command, picks.

    Raises:
        UsageError: `number` is not a number, or not one of the replies'.
    """
    try:
        index = int(number)
    except ValueError:
        raise UsageError() from None
    if not 1 <= index <= len(replies):
        raise UsageError(f"there are {len(replies)} replies: pick 1 to {len(replies)}")
    return index


def _reply(app: ChatApp, number: str, has: str) -> tuple[Message, int]:
    """Reply `number` (empty: the last one with some `has`: content or thinking)."""
    replies = app.conversation.replies()
    if not replies:
        raise CommandError("No reply yet.")
    if number:
        index = reply_number(replies, number)
        return replies[index - 1], index
    for index in range(len(replies), 0, -1):
        if getattr(replies[index - 1], has).strip():
            return replies[index - 1], index
    return replies[-1], len(replies)


def pick(app: ChatApp, args: str) -> tuple[str, str]:
    """What `/copy ARGS` copies, and how to name it.

    Raises:
        CommandError: There is nothing of that kind to copy.
        UsageError: The arguments are not a reply number, `code [K]` or `thinking [N]`.
    """
    words = args.split()
    kind = words[0].lower() if words else ""
    if kind == "code":
        if len(words) > 2:
            raise UsageError()
        message, number = _reply(app, "", "content")
        blocks = code_blocks(message.content)
        if not blocks:
            raise CommandError(f"Reply {number} has no code block.")
        try:
            which = int(words[1]) if len(words) == 2 else 1
        except ValueError:
            raise UsageError() from None
        if not 1 <= which <= len(blocks):
            raise UsageError(f"reply {number} has {_count(len(blocks), 'code block')}")
        return blocks[which - 1], f"code block {which} of reply {number}"
    if kind == "thinking":
        if len(words) > 2:
            raise UsageError()
        message, number = _reply(app, words[1] if len(words) == 2 else "", "thinking")
        if not message.thinking.strip():
            raise CommandError(f"Reply {number} has no reasoning.")
        return message.thinking, f"the reasoning of reply {number}"
    if len(words) > 1:
        raise UsageError()
    message, number = _reply(app, kind, "content")
    if not message.content.strip():
        raise CommandError(f"Reply {number} has no text (only tool calls or reasoning).")
    return message.content, f"reply {number}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


async def cmd_copy(app: ChatApp, args: str) -> None:
    text, what = pick(app, args)
    environ = os.environ
    tmux = await _tmux_options() if environ.get("TMUX") else None
    tool = local_tool(environ, sys.platform, shutil.which)
    plan = choose(terminal=True, environ=environ, tmux=tmux, tool=tool, size=len(text))
    methods: list[str] = []
    if plan.osc52 and app.renderer.send_clipboard(text, passthrough=plan.passthrough):
        methods.append("OSC 52 through tmux" if plan.passthrough else "OSC 52")
    elif plan.osc52:  # the output is not a terminal after all
        plan = choose(terminal=False, environ=environ, tmux=tmux, tool=tool, size=len(text))
    if plan.tool is not None:
        problem = await _run_tool(plan.tool, text)
        if problem is None:
            methods.append(plan.tool[0])
        elif not methods:
            raise CommandError(f"Could not copy: {problem}")
    if not methods:
        raise CommandError(f"Could not copy: {plan.reason}.")
    app.renderer.notice(f"{copied_message(len(text), methods)}: {what}.")


async def _tmux_options() -> Tmux:
    """tmux's `set-clipboard` and `allow-passthrough` for this pane (empty when unknown)."""
    target = ["-t", os.environ["TMUX_PANE"]] if os.environ.get("TMUX_PANE") else []
    command = ["tmux", "display-message", "-p", *target, "#{set-clipboard} #{allow-passthrough}"]
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await asyncio.wait_for(process.communicate(), TOOL_TIMEOUT)
    except (OSError, TimeoutError):
        return Tmux()
    words = out.decode(errors="replace").split()
    clipboard = words[0] if words else ""
    passthrough = words[1] if len(words) > 1 else ""
    return Tmux(
        set_clipboard=clipboard, allow_passthrough="on" if passthrough == "1" else passthrough
    )


async def _run_tool(command: tuple[str, ...], text: str) -> str | None:
    """Give `text` to the clipboard tool; None when it took it, else what went wrong.

    Its output is not read: xclip and wl-copy stay in the background to serve the
    clipboard, holding any pipe open.
    """
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.wait_for(process.communicate(text.encode("utf-8", "replace")), TOOL_TIMEOUT)
    except OSError as error:
        return f"{command[0]} did not run ({error.strerror or error})"
    except TimeoutError:
        return f"{command[0]} did not answer within {TOOL_TIMEOUT:.0f} s"
    if process.returncode:
        return f"{command[0]} failed (exit status {process.returncode})"
    return None


async def cmd_theme(app: ChatApp, args: str) -> None:
    user = [user_theme_dir()]
    if not args:
        current = app.renderer.theme.name
        rows = []
        for name in list_themes(user):
            theme = load_theme(name, user)
            rows.append(("●" if name == current else "", name, theme.description))
        app.renderer.table("Themes", ["", "name", "description"], rows)
        app.renderer.notice("/theme NAME switches; `theme = NAME` in config.toml keeps it.")
        return
    theme = load_theme(args.strip(), user)
    app.renderer.set_theme(theme)
    app.renderer.notice(f"Theme: {theme.name}")


def _theme_names(app: ChatApp) -> list[str]:
    return list_themes([user_theme_dir()])


COMMANDS = (
    Command(
        "copy",
        "/copy [N | code [K] | thinking [N]]",
        "Copy the last answer, reply N, code block K or the reasoning to the clipboard",
        cmd_copy,
        completions=("code", "thinking"),
    ),
    Command(
        "theme",
        "/theme [NAME]",
        "List the colour themes; switch to one",
        cmd_theme,
        completions=_theme_names,
    ),
)
