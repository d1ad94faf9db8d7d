"""Slash commands that edit or switch the saved conversation: /new, /undo, /retry, /alt, /edit…"""

from __future__ import annotations

from termchat.app import ChatApp
from termchat.commands.chat import handler
from termchat.errors import ConfigError, StoreError
from termchat.messages import Message
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


def resume(app: ChatApp, id_or_prefix: str, *, keep: frozenset[str] = frozenset()) -> None:
    """Load a saved conversation into the app and show it.

    Args:
        keep: settings given as flags, which win over the saved ones (model, system, think,
            options).

    Raises:
        StoreError: unknown or ambiguous id, or the database failed.
    """
    if app.store is None:
        raise StoreError("Saving is off (--no-save or /incognito), so nothing can be resumed.")
    record = app.store.get_session(id_or_prefix)
    messages = app.store.load_messages(record.id)
    conv = app.conversation
    if "model" not in keep and record.model and record.model != conv.model:
        app.set_model(record.model, None)
    if "system" not in keep:
        conv.system = record.system
    if "think" not in keep:
        conv.think = record.think
    if "options" not in keep and record.options is not None:
        conv.options = dict(record.options)
    conv.messages = list(messages)
    conv.session_id = record.id
    app.close_dangling_calls("termchat stopped before it ran")
    app.renderer.notice(
        f"Resumed “{record.title or record.id}” ({record.id}) — "
        f"{len(messages)} messages, model {conv.model}."
    )
    hidden = max(len(messages) - REPLAY_LIMIT, 0)
    if hidden:
        app.renderer.notice(
            f"… {hidden} earlier messages not shown (see all: termchat sessions show {record.id})"
        )
    replay(app, messages[hidden:], replies_before=_replies(messages[:hidden]))
    app.frontend.changed()
    app.start_model_info()


def _replies(messages: list[Message]) -> int:
    return sum(1 for m in messages if m.role == "assistant")


def _fresh(app: ChatApp, what: str) -> None:
    app.conversation.clear()
    app.conversation.session_id = None
    app.renderer.notice(what)


@handler("clear")
async def cmd_clear(app: ChatApp, args: str) -> None:
    _fresh(app, "Started over (the previous conversation stays saved).")


@handler("new")
async def cmd_new(app: ChatApp, args: str) -> None:
    _fresh(app, "New conversation (the previous one stays saved).")


def _drop_from(app: ChatApp, index: int) -> None:
    """Keep the history before `index`, in memory and in the store (rows stay, inactive)."""
    conv = app.conversation
    del conv.messages[index:]
    if app.store is not None and conv.session_id is not None:
        try:
            app.store.truncate(conv.session_id, index)
        except StoreError as exc:
            app.store_failed(exc)


@handler("undo")
async def cmd_undo(app: ChatApp, args: str) -> None:
    index = app.conversation.last_user_index()
    if index is None:
        app.renderer.notice("Nothing to undo.")
        return
    text = app.conversation.messages[index].content
    _drop_from(app, index)
    preview = text.splitlines()[0][:60] if text.strip() else ""
    app.renderer.notice(f"Dropped the last exchange ({preview!r}).")


@handler("retry")
async def cmd_retry(app: ChatApp, args: str) -> None:
    conv = app.conversation
    if conv.awaiting_reply():
        await app.run_turn()
        return
    index = conv.last_user_index()
    if index is None:
        app.renderer.notice("Nothing to retry yet.")
        return
    _drop_from(app, index + 1)
    await app.run_turn()


@handler("alt")
async def cmd_alt(app: ChatApp, args: str) -> None:
    conv = app.conversation
    index = conv.last_user_index()
    if app.store is None or conv.session_id is None or index is None:
        app.renderer.notice("No alternatives: /retry makes one (in a saved conversation).")
        return
    alternatives = app.store.alternatives(conv.session_id, index + 1)
    if len(alternatives) < 2:
        app.renderer.notice("This reply has no alternatives yet: /retry makes one.")
        return
    current = next((i for i, alt in enumerate(alternatives) if alt.active), -1)
    choice = alternatives[(current + 1) % len(alternatives)]
    app.store.activate(conv.session_id, index + 1, choice.gen)
    conv.messages = app.store.load_messages(conv.session_id)
    position = alternatives.index(choice) + 1
    app.renderer.notice(f"Alternative {position} of {len(alternatives)}:")
    replay(app, conv.messages[index + 1 :], replies_before=_replies(conv.messages[: index + 1]))


@handler("edit")
async def cmd_edit(app: ChatApp, args: str) -> None:
    conv = app.conversation
    index = conv.last_user_index()
    if index is None:
        app.renderer.notice("No message to edit yet.")
        return
    edited = await app.frontend.edit(conv.messages[index].content)
    if edited is None or not edited.strip():
        app.renderer.notice("Edit cancelled; nothing sent.")
        return
    _drop_from(app, index)
    app.renderer.user_message(edited, model=conv.model)
    await app.send(edited)


@handler("title")
async def cmd_title(app: ChatApp, args: str) -> None:
    conv = app.conversation
    if not args:
        raise ConfigError("Usage: /title TEXT")
    if app.store is None:
        app.renderer.notice("This conversation is not saved, so it has no title.")
        return
    if conv.session_id is None:
        record = app.store.create_session(
            conv.model, system=conv.system, options=conv.options, think=conv.think, title=args
        )
        conv.session_id = record.id
    else:
        app.store.rename(conv.session_id, args)
    app.renderer.notice(f"Title: {args}")


@handler("resume")
async def cmd_resume(app: ChatApp, args: str) -> None:
    target: str | None = args.split()[0] if args else None
    if app.store is None:
        raise StoreError("Saving is off (--no-save or /incognito), so nothing can be resumed.")
    if target is None:
        target = await app.frontend.pick_session(app.store)
        if target is None:
            return
    resume(app, target)


@handler("incognito")
async def cmd_incognito(app: ChatApp, args: str) -> None:
    if app.store is None:
        app.renderer.notice("Already not saving.")
        return
    saved = app.conversation.session_id
    app.store.close()
    app.store = None
    note = f" What was saved before stays in {saved}." if saved else ""
    app.renderer.notice(f"Incognito: nothing more of this conversation is written.{note}")
    app.frontend.changed()


@handler("tools")
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
            raise ConfigError("Usage: /tools [enable|disable NAME]")
        if parts[0] == "enable":
            tools.enable(parts[1])
        else:
            tools.disable(parts[1])
        app.renderer.notice(f"{parts[1]}: {parts[0]}d")
        return
    rows = [
        (row.name, row.source, row.policy, "yes" if row.enabled else "no", row.description)
        for row in tools.rows()
    ]
    app.renderer.table("Tools", ["name", "source", "policy", "enabled", "description"], rows)
