"""The layout of /tree: one table row per branch, drawn with tree lines (plain text cells)."""

from __future__ import annotations

from collections.abc import Sequence

from termchat.branches import Branch
from termchat.messages import Message
from termchat.render.sanitize import sanitize

TREE_COLUMNS = ("branch", "messages", "where")
"""The table's columns: the numbered tree with each branch's start, its size, its state."""

PREVIEW = 24
"""Characters of a message shown in a branch's row (a question and its answer each)."""


def tree_rows(branches: Sequence[Branch], here: Branch | None) -> list[tuple[str, str, str]]:
    """One row per branch, in order: `├─ [3] ● you: Why? → Because`, its size, its state.

    `●` marks the branches the active history goes through, `here` the one it ends in.
    """
    last: dict[int, bool] = {}
    siblings: dict[int | None, list[Branch]] = {}
    for branch in branches:
        siblings.setdefault(branch.parent, []).append(branch)
    for group in siblings.values():
        for branch in group:
            last[branch.number] = branch is group[-1]
    by_number = {branch.number: branch for branch in branches}
    rows = []
    for branch in branches:
        lines = []
        above = branch.parent
        while above is not None and by_number[above].parent is not None:
            lines.append("   " if last[above] else "│  ")
            above = by_number[above].parent
        indent = "".join(reversed(lines))
        joint = "" if branch.parent is None else ("└─ " if last[branch.number] else "├─ ")
        mark = "●" if branch.on_path else "○"
        said = summary([row.message for row in branch.rows])
        label = f"{indent}{joint}[{branch.number}] {mark} {said}"
        size = f"{len(branch.rows)}" + (f" from #{branch.start + 1}" if branch.start else "")
        states = []
        if branch.undone and not branch.on_path:  # brought back by /tree N: no longer undone
            states.append("undone")
        if branch is here:
            states.append("← here")
        rows.append((label, size, " · ".join(states)))
    return rows


def summary(messages: Sequence[Message]) -> str:
    """`you: question → answer`, `reply: answer` (a retry), or `tool result`, shortened."""
    if not messages:
        return ""
    first = messages[0]
    if first.role == "user":
        answer = next((m for m in messages[1:] if m.role == "assistant"), None)
        text = f"you: {_preview(first)}"
        return text + (f" → {_preview(answer)}" if answer is not None else "")
    if first.role == "assistant":
        return f"reply: {_preview(first)}"
    return f"{first.role}: {_preview(first)}"


def _preview(message: Message) -> str:
    text = " ".join(sanitize(message.content or message.thinking).split())
    if not text and message.tool_calls:
        text = "calls " + ", ".join(call.name for call in message.tool_calls)
    if message.interrupted and not message.content:
        text = text or "[interrupted]"
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1].rstrip() + "…"
