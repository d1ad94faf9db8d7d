"""Slash commands that edit or switch the saved conversation: /new, /undo, /retry, /alt, /edit…"""

from __future__ import annotations

from termchat.app import ChatApp
from termchat.commands.base import Command
from termchat.errors import UsageError
from termchat.messages import Message
from termchat.outgoing import send_message
from termchat.render.sanitize import escape_for_display, name_text
from termchat.render.transcript import draw_transcript

REPLAY_LIMIT = 20
"""Messages shown again on resume; older ones are counted, not drawn (resume stays instant)."""


def replay(app: ChatApp, messages: list[Message], *, replies_before: int = 0) -> None:
    """Show earlier turns again, reasoning collapsed to one line (`/thinking N` shows it)."""
    draw_transcript(
        app.renderer,
        messages,
        model=app.conversation.model,
        show_thinking=False,
        replies_before=replies_before,
    )


def open_saved(app: ChatApp, id_or_prefix: str, *, keep: frozenset[str] = frozenset()) -> str:
    """Load a saved conversation into the app and say so (without drawing it); its id.

    Args:
        keep: settings given as flags, which win over the saved ones (model, system, think,
            options).

    Raises:
        StoreError: unknown or ambiguous id, or the database failed.
    """
    before = app.conversation.model
    record = app.session.load(id_or_prefix, keep=keep)
    conv = app.conversation
    if conv.model != before:
        app.set_model(conv.model, None)
    app.close_dangling_calls("termchat stopped before it ran")
    app.renderer.notice(
        f"Resumed “{record.title or record.id}” ({record.id}) — "
        f"{len(conv.messages)} messages, model {name_text(conv.model)}."
    )
    if not app.session.saving:
        app.renderer.notice(app.session.not_saving_text())
    return record.id


def resume(app: ChatApp, id_or_prefix: str, *, keep: frozenset[str] = frozenset()) -> None:
    """Load a saved conversation into the app and show its last turns (see `open_saved`).

    Raises:
        StoreError: unknown or ambiguous id, or the database failed.
    """
    record_id = open_saved(app, id_or_prefix, keep=keep)
    messages = app.conversation.messages
    hidden = max(len(messages) - REPLAY_LIMIT, 0)
    if hidden:
        app.renderer.notice(
            f"… {hidden} earlier messages not shown (see all: termchat sessions show {record_id})"
        )
    replay(app, messages[hidden:], replies_before=app.session.replies_before(hidden))
    app.frontend.changed()
    app.start_model_info()


def _replies(messages: list[Message]) -> int:
    return sum(1 for m in messages if m.role == "assistant")


async def cmd_clear(app: ChatApp, args: str) -> None:
    app.renderer.notice(app.session.new())
    app.frontend.changed()


async def cmd_new(app: ChatApp, args: str) -> None:
    app.renderer.notice(app.session.new())
    app.frontend.changed()


async def cmd_undo(app: ChatApp, args: str) -> None:
    dropped = app.session.undo()
    if dropped is None:
        app.renderer.notice("Nothing to undo.")
        return
    text = dropped.content
    preview = text.splitlines()[0][:60] if text.strip() else ""
    app.renderer.notice(f"Dropped the last exchange ({preview!r}).")


async def cmd_retry(app: ChatApp, args: str) -> None:
    conv = app.conversation
    if conv.awaiting_reply():
        await app.run_turn()
        return
    index = conv.last_user_index()
    if index is None:
        app.renderer.notice("Nothing to retry yet.")
        return
    app.session.drop_from(index + 1)
    await app.run_turn()


async def cmd_alt(app: ChatApp, args: str) -> None:
    switched = app.session.switch_alternative()
    if switched is None:
        app.renderer.notice(app.session.alternatives_note())
        return
    app.renderer.notice(f"Alternative {switched.position} of {switched.count}:")
    before = app.conversation.messages[: switched.start]
    replay(app, switched.messages, replies_before=_replies(before))


async def cmd_edit(app: ChatApp, args: str) -> None:
    conv = app.conversation
    index = conv.last_user_index()
    if index is None:
        app.renderer.notice("No message to edit yet.")
        return
    original = conv.messages[index].content
    edited = await app.frontend.edit(original)
    # As git commit does: only a changed, non-empty text goes on (here: as a new branch).
    if edited is None:
        app.renderer.notice("Edit cancelled; nothing sent.")
        return
    if not edited.strip():
        app.renderer.notice("Empty; nothing sent.")
        return
    if edited.strip() == original.strip():
        app.renderer.notice("Unchanged; nothing sent.")
        return
    attached = conv.messages[index].attachments  # sent again with the edited text
    app.session.drop_from(index)
    app.renderer.user_message(edited, model=conv.model)
    await send_message(app, edited, keep=attached)


async def cmd_title(app: ChatApp, args: str) -> None:
    if not args:
        app.renderer.notice(app.session.describe())
        return
    app.session.set_title(args)
    app.renderer.notice(f"Title: {args}")


async def cmd_resume(app: ChatApp, args: str) -> None:
    target: str | None = args.split()[0] if args else None
    if target is None:
        target = await app.frontend.pick_session(app.session)
        if target is None:
            return
    resume(app, target)


async def cmd_incognito(app: ChatApp, args: str) -> None:
    session = app.session
    if session.saving:
        app.renderer.notice(session.stop_saving())
    else:
        app.renderer.notice(session.start_saving())
    app.frontend.changed()


async def cmd_tools(app: ChatApp, args: str) -> None:
    tools = app.tools
    if tools is None:
        app.renderer.notice(
            "No tools enabled. Start with --tool NAME, --tools-file PATH or "
            "[mcp_servers] in config.toml."
        )
        return
    parts = args.split()
    if parts:
        if len(parts) != 2 or parts[0] not in ("enable", "disable"):
            raise UsageError()
        if parts[0] == "enable":
            tools.enable(parts[1])
        else:
            tools.disable(parts[1])
        app.renderer.notice(f"{parts[1]}: {parts[0]}d")
        return
    from termchat.render.parts import short_source  # rich: loaded when first needed

    rows = [
        (
            escape_for_display(row.name),
            short_source(row.source),
            row.policy,
            "yes" if row.enabled else "no",
            row.description,
        )
        for row in tools.rows()
    ]
    app.renderer.table("Tools", ["name", "source", "policy", "enabled", "description"], rows)


CONVERSATION = (
    Command("clear", "/clear", "Start the conversation over (same settings)", cmd_clear),
    Command("new", "/new", "Start a new conversation (same settings)", cmd_new),
    Command(
        "retry", "/retry", "Regenerate the last reply (or resend an unanswered message)", cmd_retry
    ),
    Command("alt", "/alt", "Cycle through the alternatives of the last reply", cmd_alt),
    Command("undo", "/undo", "Drop the last exchange", cmd_undo),
    Command(
        "edit", "/edit", "Edit the last message in $EDITOR and send it as a new branch", cmd_edit
    ),
    Command(
        "title",
        "/title [TEXT]",
        "Rename this conversation; alone, show its title and id",
        cmd_title,
    ),
    Command("resume", "/resume [ID]", "Open a saved conversation (no id: pick one)", cmd_resume),
    Command(
        "incognito", "/incognito", "Stop saving this conversation; again: save it", cmd_incognito
    ),
)

TOOLS = (
    Command(
        "tools",
        "/tools [enable|disable NAME]",
        "List tools, or enable/disable one",
        cmd_tools,
        completions=("enable", "disable"),
    ),
)
