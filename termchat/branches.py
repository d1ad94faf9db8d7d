"""The branches of a conversation's history tree, numbered for /tree (pure: rows in, branches out).

The store keeps every message ever written as one tree (see `termchat.store`): a generation is
an unbroken run of positions, and /undo marks the first row it dropped as cut. Here each
generation's run is split at its cut rows, so every piece is one branch: the original path, a
retry (a new generation from a reply), an edit (a new generation from a question), or an undone
exchange. Branches are numbered depth first, each one's children in the order they fork (then
the order they were written), so the numbers read top to bottom as /tree draws them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from termchat.store.records import StoredMessage


@dataclass
class Branch:
    """One run of rows with no fork inside it.

    Attributes:
        number: Its number in /tree (1 first).
        rows: Its rows, in order.
        depth: How many branches it hangs below (0: it starts the conversation).
        parent: The number of the branch it forks from (None at the top).
        undone: /undo dropped it (it comes back only when asked for by number).
        children: The branches that fork from it, in drawing order.
    """

    number: int
    rows: list[StoredMessage]
    depth: int = 0
    parent: int | None = None
    undone: bool = False
    children: list[Branch] = field(default_factory=list)

    @property
    def start(self) -> int:
        """The position of its first message in the conversation (0 first)."""
        return self.rows[0].seq

    @property
    def on_path(self) -> bool:
        """The active history goes through it (its first row is active)."""
        return self.rows[0].active

    @property
    def last_row(self) -> int:
        """The row id of its last message: where the history ends when it is chosen."""
        return self.rows[-1].row_id


def build_branches(rows: Sequence[StoredMessage], cut: Collection[int] = ()) -> list[Branch]:
    """Every branch of a conversation, in drawing order (depth first), numbered from 1.

    Args:
        rows: Every row of the conversation, active or not.
        cut: The ids of the rows /undo cut.
    """
    runs: dict[int, list[StoredMessage]] = {}
    for row in sorted(rows, key=lambda r: (r.gen, r.seq)):
        runs.setdefault(row.gen, []).append(row)
    pieces: list[list[StoredMessage]] = []
    for run in runs.values():
        piece: list[StoredMessage] = []
        for row in run:
            if piece and row.row_id in cut:
                pieces.append(piece)
                piece = []
            piece.append(row)
        pieces.append(piece)
    owner: dict[tuple[int, int], int] = {}  # (seq, gen) -> index of its piece
    for index, piece in enumerate(pieces):
        for row in piece:
            owner[(row.seq, row.gen)] = index
    children: dict[int | None, list[int]] = {}
    for index, piece in enumerate(pieces):
        first = piece[0]
        above = None if first.parent_gen is None else owner.get((first.seq - 1, first.parent_gen))
        children.setdefault(above, []).append(index)
    for kids in children.values():
        kids.sort(key=lambda i: (pieces[i][0].seq, pieces[i][0].gen))
    out: list[Branch] = []
    # Depth first without recursion: a long conversation can nest hundreds of retries.
    stack: list[tuple[int, int, Branch | None]] = [
        (top, 0, None) for top in reversed(children.get(None, []))
    ]
    while stack:
        index, depth, parent = stack.pop()
        piece = pieces[index]
        branch = Branch(
            number=len(out) + 1,
            rows=piece,
            depth=depth,
            parent=None if parent is None else parent.number,
            undone=piece[0].row_id in cut,
        )
        out.append(branch)
        if parent is not None:
            parent.children.append(branch)
        stack.extend((child, depth + 1, branch) for child in reversed(children.get(index, [])))
    return out


def current(branches: Sequence[Branch]) -> Branch | None:
    """The branch holding the last message of the active history (None: no history)."""
    best: tuple[int, Branch] | None = None
    for branch in branches:
        for row in branch.rows:
            if row.active and (best is None or row.seq > best[0]):
                best = (row.seq, branch)
    return None if best is None else best[1]
