"""The commands about the context window: /context (what is in use, old reasoning in or out)
and /compact (the oldest turns summarised)."""

from __future__ import annotations

from termchat import contextwin
from termchat.app import ChatApp
from termchat.commands.base import Command
from termchat.compaction import KEEP_TURNS
from termchat.errors import UsageError


async def cmd_context(app: ChatApp, args: str) -> None:
    guard = app.context
    word = args.strip().lower()
    if word in ("drop-reasoning", "keep-reasoning"):
        guard.drop_reasoning = word == "drop-reasoning"
        guard.changed()
        app.renderer.notice(
            "Earlier reasoning is left out of requests."
            if guard.drop_reasoning
            else "Earlier reasoning is sent again with each request."
        )
        return
    if word:
        raise UsageError()
    await guard.refresh()
    rows = guard.describe()
    conv = app.conversation
    messages = [*conv.system_head(), *conv.messages]
    if guard.drop_reasoning:
        messages = contextwin.without_old_reasoning(messages)
    nxt = guard.size(messages)
    rows.append(("next request", f"~{nxt:,} tokens before your message"))
    old = contextwin.old_reasoning_tokens(messages)
    if old and guard.ollama():
        rows.append(("of which old reasoning", f"~{old:,} (/context drop-reasoning)"))
    if not rows:
        app.renderer.notice("Nothing is known of the context window yet.")
        return
    app.renderer.table("Context", ["", ""], rows)


async def cmd_compact(app: ChatApp, args: str) -> None:
    keep = KEEP_TURNS
    if args.strip():
        try:
            keep = int(args)
        except ValueError:
            raise UsageError("N is a number of turns") from None
        if keep < 1:
            raise UsageError("keep at least 1 turn")
    await app.context.compact(keep)


COMMANDS = (
    Command(
        "context",
        "/context [drop-reasoning|keep-reasoning]",
        "The context window: size, use; old reasoning in or out",
        cmd_context,
        completions=("drop-reasoning", "keep-reasoning"),
    ),
    Command(
        "compact",
        "/compact [N]",
        "Summarise the older turns into one (the originals are kept)",
        cmd_compact,
    ),
)
