"""/tree: draw the branches of the conversation (retries, edits, undos); /tree N goes to one."""

from __future__ import annotations

from termchat.app import ChatApp
from termchat.branches import Branch, build_branches, current
from termchat.commands.base import Command
from termchat.commands.session import REPLAY_LIMIT, replay
from termchat.errors import CommandError, UsageError
from termchat.render.tree import TREE_COLUMNS, tree_rows
from termchat.session import NOT_SAVING


def _branches(app: ChatApp) -> list[Branch]:
    """The saved conversation's branches (the store's failure is a one-line error)."""
    rows, cut = app.session.branch_rows()
    return build_branches(rows, cut)


async def cmd_tree(app: ChatApp, args: str) -> None:
    session = app.session
    if session.session_id is None or not session.saved:
        if not session.saving:
            raise CommandError(f"No branches: {NOT_SAVING.lower()} ({session.why_not}).")
        app.renderer.notice("No branches yet: the conversation is saved with its first message.")
        return
    branches = _branches(app)
    if not args:
        here = current(branches)
        app.renderer.table("Branches", TREE_COLUMNS, tree_rows(branches, here))
        if len(branches) > 1:
            app.renderer.notice("/tree N makes branch N the conversation (● marks the one now).")
        else:
            app.renderer.notice("One branch: /retry, /edit and /undo make more.")
        return
    try:
        number = int(args)
    except ValueError:
        raise UsageError(f"{args!r} is not a branch number") from None
    if not 1 <= number <= len(branches):
        raise CommandError(f"No branch {number}: /tree lists 1 to {len(branches)}.")
    if not session.saving:
        raise CommandError(f"Cannot switch branches: {NOT_SAVING.lower()} ({session.why_not}).")
    branch = branches[number - 1]
    if not session.switch_branch(branch.last_row):
        return  # the session said why (the database failed)
    messages = app.conversation.messages
    app.renderer.notice(
        f"Branch {number}: the conversation is now these {len(messages)} messages "
        "(the next message goes on from here)."
    )
    hidden = max(len(messages) - REPLAY_LIMIT, 0)
    if hidden:
        app.renderer.notice(f"… {hidden} earlier messages not shown")
    replay(app, messages[hidden:], replies_before=app.session.replies_before(hidden))
    app.frontend.changed()


COMMANDS = (
    Command(
        "tree",
        "/tree [N]",
        "Draw the branches (retries, edits, undos); /tree N switches to branch N",
        cmd_tree,
    ),
)
