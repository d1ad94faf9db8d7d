"""Open files and directories under a root without ever leaving it: a no-follow walk from its fd.

Checking a resolved path and then opening it leaves a gap in which a component can be swapped
for a symlink to somewhere else. Here nothing is opened by path: each component is opened
relative to the directory opened before it, with O_NOFOLLOW, starting from the root's own
descriptor. A symlink met on the way is read and followed by this walk, only while it stays
under the root (`..` cannot climb above it); one swapped in at the last moment makes the open
fail (ELOOP) and is then read and judged the same way. The opened file is checked with fstat.

Limit: a directory moved out of the root while the walk holds it open is not noticed (moving it
needs write access to both places).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections import deque
from pathlib import Path

from termchat.errors import ToolError

MAX_LINKS = 40
"""Symbolic links one walk may follow (Linux's own limit), so a loop ends."""


class _Walk:
    """The directories opened so far, root first; closes what it does not hand out."""

    def __init__(self, root: Path, shown: str) -> None:
        self.base = root.resolve()
        self.shown = shown
        self.fds = [os.open(self.base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)]
        self.links = 0

    def outside(self) -> ToolError:
        return ToolError(
            f"{self.shown!r} is outside the working directory {self.base}; "
            "only files inside it can be read"
        )

    def relative(self, path: str, root: Path) -> list[str]:
        """The parts of `path` below the root; an absolute path must start with the root."""
        if not os.path.isabs(path):
            return path.split("/")
        for base in (self.base, root.absolute()):
            with contextlib.suppress(ValueError):
                return list(Path(os.path.normpath(path)).relative_to(base).parts)
        raise self.outside()

    def count_link(self) -> None:
        self.links += 1
        if self.links > MAX_LINKS:
            raise ToolError(f"{self.shown!r}: too many symbolic links")

    def follow(self, name: str, todo: deque[str]) -> None:
        """Put the target of the symlink `name` in front of what is left to walk."""
        self.count_link()
        target = os.readlink(name, dir_fd=self.fds[-1])
        if os.path.isabs(target):
            with contextlib.suppress(ValueError):
                parts = Path(os.path.normpath(target)).relative_to(self.base).parts
                self.up(len(self.fds) - 1)  # an absolute target starts again from the root
                todo.extendleft(reversed(parts))
                return
            raise self.outside()
        todo.extendleft(reversed(target.split("/")))

    def up(self, levels: int = 1) -> None:
        if levels >= len(self.fds):
            raise self.outside()
        for _ in range(levels):
            os.close(self.fds.pop())

    def close(self, keep: int | None = None) -> None:
        for fd in self.fds:
            if fd != keep:
                os.close(fd)
        self.fds = []


def _open_component(walk: _Walk, name: str, flags: int) -> int | None:
    """Open `name` in the current directory without following it.

    Returns:
        The descriptor, or None when `name` turned into a symlink since it was looked at (the
        walk then looks again and judges the link).
    """
    try:
        return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=walk.fds[-1])
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        info = os.stat(name, dir_fd=walk.fds[-1], follow_symlinks=False)
        if not stat.S_ISLNK(info.st_mode):
            raise
        walk.count_link()  # bounds a walk that keeps losing a race
        return None


def open_under(root: Path, path: str, *, directory: bool = False) -> int:
    """Open `path` (relative to `root`, or absolute inside it) without leaving `root`.

    Args:
        root: The directory nothing may escape.
        path: What the model asked for.
        directory: Open a directory (for listing) instead of a regular file.

    Returns:
        A file descriptor the caller closes.

    Raises:
        ToolError: The path leaves the root, does not exist, or is the wrong kind of file.
    """
    if "\0" in path:
        raise ToolError("the path contains a NUL character")
    try:
        walk = _Walk(root, path)
    except OSError as exc:
        raise ToolError(f"cannot open the working directory {root}: {exc.strerror}") from None
    try:
        todo = deque(walk.relative(path, root))
        while todo:
            name = todo.popleft()
            if name in ("", "."):
                continue
            if name == "..":
                walk.up()
                continue
            info = os.stat(name, dir_fd=walk.fds[-1], follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                walk.follow(name, todo)
                continue
            last = not any(part not in ("", ".") for part in todo)
            if last and not directory:
                if stat.S_ISDIR(info.st_mode):
                    raise ToolError(f"{path!r} is a directory; use list_dir")
                if not stat.S_ISREG(info.st_mode):  # a FIFO or device could block or worse
                    raise ToolError(f"{path!r} is not a regular file")
                fd = _open_component(walk, name, os.O_RDONLY | os.O_NONBLOCK)
                if fd is None:
                    todo.appendleft(name)  # now a symlink: judge its target instead
                    continue
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    os.close(fd)
                    raise ToolError(f"{path!r} is not a regular file")
                return fd
            if not stat.S_ISDIR(info.st_mode):
                raise ToolError(f"{path!r} is not a directory")
            fd = _open_component(walk, name, os.O_RDONLY | os.O_DIRECTORY)
            if fd is None:
                todo.appendleft(name)
                continue
            walk.fds.append(fd)
        if not directory:
            raise ToolError(f"{path!r} is a directory; use list_dir")
        result = walk.fds[-1]
        walk.close(keep=result)
        return result
    except FileNotFoundError:
        raise ToolError(f"no such file or directory: {path!r}") from None
    except NotADirectoryError:
        raise ToolError(f"{path!r} is not a directory") from None
    except OSError as exc:
        raise ToolError(f"cannot open {path!r}: {exc.strerror or exc}") from None
    finally:
        walk.close()
