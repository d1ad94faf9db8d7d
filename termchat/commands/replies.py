"""The commands about the last reply itself: /continue a cut one, /compare it with another
model's, and `/set interrupted` (how cut replies go back to the model)."""

from __future__ import annotations

from termchat.app import ChatApp
from termchat.commands.base import Command
from termchat.commands.session import replay
from termchat.continuation import Continuation, choose_mode, cut_reply
from termchat.cutreplies import parse_policy
from termchat.errors import BackendError, CommandError, UsageError
from termchat.messages import Message
from termchat.render.sanitize import name_text


async def cmd_continue(app: ChatApp, args: str) -> None:
    if args:
        raise UsageError()
    conv = app.conversation
    if not conv.model:
        raise CommandError("No model chosen. Use /model NAME (or /models to list them).")
    partial = cut_reply(conv.messages)
    setting, backend, host = app.config.continue_mode, app.config.backend, app.backend.host
    mode = choose_mode(setting, backend, host, app.prefill_refused)
    plan = Continuation(
        partial,
        conv.request(app.tool_schemas(), continuing=True),
        mode,
        can_fall_back=setting == "auto" and backend != "ollama",
        refused=app.prefill_refused,
        host=host,
        reasoning_sent=backend == "ollama",
    )
    number = len(conv.replies())
    how = "" if mode == "prefill" else " (the model is asked to go on)"
    app.renderer.notice(f"Continuing reply {number}{how}:")
    await app.run_turn(plan)


async def cmd_compare(app: ChatApp, args: str) -> None:
    if not args:
        raise UsageError()
    name = args.split()[0]
    conv, session = app.conversation, app.session
    index = conv.last_user_index()
    if index is None or conv.awaiting_reply():
        raise CommandError("Nothing to compare: the last message has no reply yet.")
    try:
        info = await app.backend.show(name)
    except BackendError as exc:
        app.renderer.error(str(exc))
        return
    start = index + 1
    original = list(conv.messages[start:])
    first = next((m.model for m in original if m.role == "assistant" and m.model), conv.model)
    position = session.alternative_position()
    before = session.replies_before(start)  # a resumed history's unread part is counted
    app.renderer.notice(f"[1] {name_text(first)}:")
    replay(app, original, replies_before=before)
    app.renderer.notice(f"[2] {name_text(name)}:")
    model, model_info = conv.model, conv.info
    session.drop_from(start)  # kept in the store as an alternative, as /retry does
    app.set_model(name, info)
    try:
        await app.run_turn()
    finally:
        app.set_model(model, model_info)
    if len(conv.messages) <= start:  # nothing came from the second model
        _restore(app, start, original, position)
        app.renderer.notice(f"Kept the reply of {name_text(first)}.")
        return
    labels = [name_text(first), name_text(name)]
    picked = await app.frontend.pick_option("Keep which reply?", labels)
    if picked == 1:
        app.renderer.notice(f"Kept the reply of {labels[1]}; /alt shows the other.")
        return
    _restore(app, start, original, position)
    app.renderer.notice(f"Kept the reply of {labels[0]}; /alt shows the other.")


def _restore(app: ChatApp, start: int, original: list[Message], position: int | None) -> None:
    """Make the first reply (`original`, from `start` on) the active one again."""
    session = app.session
    if position is not None and session.switch_alternative(to=position) is not None:
        return
    # Not saved: the history in memory is all there is.
    session.drop_from(start)
    for message in original:
        session.add(message)


def set_interrupted(app: ChatApp, value: str) -> None:
    """`/set interrupted mark|keep|drop`: how cut replies go back to the model."""
    try:
        app.conversation.interrupted = parse_policy(value)
    except ValueError as exc:
        raise CommandError(f"{exc}.") from None
    what = {
        "mark": "sent back with a visible marker",
        "keep": "sent back as they are",
        "drop": "left out of the requests, with the message they answered",
    }[app.conversation.interrupted]
    app.renderer.notice(f"interrupted = {app.conversation.interrupted}: cut replies are {what}.")


COMMANDS = (
    Command(
        "continue",
        "/continue",
        "Go on with the last reply where it stopped (Ctrl-C, a dropped connection, a length limit)",
        cmd_continue,
    ),
    Command(
        "compare",
        "/compare MODEL",
        "Ask another model too; keep the reply you pick",
        cmd_compare,
        completions=lambda app: app.models_cache,
    ),
)
