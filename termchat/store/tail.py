"""A resumed history that holds its shown tail and counts the rest until something reads it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, SupportsIndex, TypeVar, overload

from termchat.errors import StoreError
from termchat.messages import Message

if TYPE_CHECKING:
    from termchat.store import SessionStore, StoredMessage

T = TypeVar("T")


class Tail(list[T]):
    """A list of which only the last items are in memory; the first `before` load on demand.

    Resuming a long conversation shows its last messages only, so only they are read; the
    length counts them all. Appending, the last items and slices of them need nothing more;
    anything that reads an earlier item, or all of them (sending the history, iterating,
    comparing), loads the rest first, once, and from then on this is an ordinary list.

    Args:
        items: The last items.
        before: How many items come before them.
        load: Returns those `before` items, in order (called at most once).
    """

    def __init__(self, items: Iterable[T], before: int, load: Callable[[], list[T]]) -> None:
        super().__init__(items)
        self.before = before
        self._load = load

    def loaded(self) -> Tail[T]:
        """Self, with every item in memory."""
        if self.before:
            head = self._load()
            if len(head) != self.before:
                raise RuntimeError(f"expected {self.before} earlier items, read {len(head)}")
            self.before = 0
            super().__setitem__(slice(0, 0), head)
        return self

    def forget(self) -> None:
        """Drop the items not read: from now on this holds the last items only."""
        self.before = 0

    def _local(self, index: SupportsIndex | slice) -> int | slice | None:
        """`index` (or a plain slice) shifted into the items in memory, or None if it reaches
        before them."""
        size = len(self)
        if isinstance(index, slice):
            start, stop, step = index.indices(size)
            if step != 1 or min(start, stop) < self.before:
                return None
            return slice(start - self.before, stop - self.before)
        position = index.__index__()
        position += size if position < 0 else 0
        return position - self.before if self.before <= position < size else None

    def __len__(self) -> int:
        return self.before + super().__len__()

    @overload
    def __getitem__(self, index: SupportsIndex) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> T | list[T]:
        local = self._local(index) if self.before else index
        if local is None:
            self.loaded()
            return super().__getitem__(index)
        return super().__getitem__(local)

    def __delitem__(self, index: SupportsIndex | slice) -> None:
        local = self._local(index) if self.before else index
        if local is None:
            self.loaded()
            super().__delitem__(index)
        else:
            super().__delitem__(local)

    def clear(self) -> None:
        self.before = 0
        super().clear()

    def __iter__(self) -> Iterator[T]:
        self.loaded()
        return super().__iter__()

    def __reversed__(self) -> Iterator[T]:
        self.loaded()
        return super().__reversed__()

    def __contains__(self, item: object) -> bool:
        self.loaded()
        return super().__contains__(item)

    def __eq__(self, other: object) -> bool:
        self.loaded()
        return super().__eq__(other)

    def __repr__(self) -> str:
        return f"Tail({super().__repr__()}, before={self.before})"

    def __add__(self, other: Any) -> Any:
        return list(self) + list(other)

    def __setitem__(self, index: Any, value: Any) -> None:
        self.loaded()
        super().__setitem__(index, value)

    def insert(self, index: SupportsIndex, item: T) -> None:
        self.loaded()
        super().insert(index, item)

    def pop(self, index: SupportsIndex = -1) -> T:
        if self.before and index == -1 and super().__len__():
            return super().pop()
        self.loaded()
        return super().pop(index)

    def remove(self, item: T) -> None:
        self.loaded()
        super().remove(item)

    def index(self, item: T, *args: Any) -> int:
        self.loaded()
        return super().index(item, *args)

    def count(self, item: T) -> int:
        self.loaded()
        return super().count(item)

    def copy(self) -> list[T]:
        return list(self)

    def reverse(self) -> None:
        self.loaded()
        super().reverse()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        self.loaded()
        super().sort(*args, **kwargs)

    def __iadd__(self, other: Iterable[T]) -> Tail[T]:  # type: ignore[override,misc]
        self.extend(other)
        return self

    def __mul__(self, count: SupportsIndex) -> list[T]:
        return list(self) * count

    def __reduce__(self) -> Any:
        return (list, (list(self),))


class Earlier:
    """The messages of a resumed conversation before those read at once, read when first
    needed (see `ChatSession.load`).

    Args:
        store: Gives the open database (None when it failed).
        session_id: The conversation.
        row_id: The first message already read (its row).
        before: How many messages come before it.
    """

    def __init__(
        self, store: Callable[[], SessionStore | None], session_id: str, row_id: int, before: int
    ) -> None:
        self._store = store
        self._id = session_id
        self._row = row_id
        self.before = before
        self._rows: list[StoredMessage] | None = None

    def _open(self) -> SessionStore:
        store = self._store()
        if store is None:
            raise StoreError("The session database failed: the earlier messages cannot be read")
        return store

    def rows(self) -> list[StoredMessage]:
        """The earlier rows (read once)."""
        if self._rows is None:
            rows = self._open().load_before(self._id, self._row)
            if len(rows) != self.before:  # its rows were deleted meanwhile
                raise StoreError(
                    "The earlier messages of this conversation are gone from the database "
                    "(deleted by another termchat?); resume it again"
                )
            self._rows = rows
        return self._rows

    def messages(self) -> list[Message]:
        """The earlier messages."""
        return [row.message for row in self.rows()]

    def row_ids(self) -> list[int]:
        """The earlier messages' row ids."""
        return [row.row_id for row in self.rows()]

    def replies(self) -> int:
        """How many of the earlier messages are assistant replies (counted, not read)."""
        if self._rows is not None:
            return sum(1 for row in self._rows if row.message.role == "assistant")
        return self._open().count_replies(self._id, self._row)
