"""/image, /file and /detach: the files wait for the next message (see `termchat.outgoing`)."""

from __future__ import annotations

from pathlib import Path

from termchat.app import ChatApp
from termchat.attachments import first_word, label, read_attachment, unique
from termchat.commands.base import Command
from termchat.errors import UsageError
from termchat.outgoing import may_send, send_message


async def _attach(app: ChatApp, args: str, *, image_only: bool) -> None:
    """Read the file the arguments start with; send it with the rest of them, or keep it for
    the next message when nothing follows."""
    path, rest = first_word(args, Path.cwd())
    if not path:
        if not app.pending:
            raise UsageError("name a file")
        for attachment in app.pending:
            app.renderer.notice(label(attachment.name, attachment.size))
        app.renderer.notice("These go with your next message; /detach drops them.")
        return
    attachment = read_attachment(path, Path.cwd(), app.config.attach_limits, image_only=image_only)
    if not await may_send(app, [attachment]):
        return
    if rest:
        await send_message(app, rest, keep=[attachment])
        return
    app.pending = unique([*app.pending, attachment])
    app.renderer.notice(
        f"{label(attachment.name, attachment.size)} — goes with your next message "
        "(/detach drops it)"
    )


async def cmd_image(app: ChatApp, args: str) -> None:
    await _attach(app, args, image_only=True)


async def cmd_file(app: ChatApp, args: str) -> None:
    await _attach(app, args, image_only=False)


async def cmd_detach(app: ChatApp, args: str) -> None:
    count, app.pending = len(app.pending), []
    if not count:
        app.renderer.notice("Nothing is attached.")
        return
    app.renderer.notice(f"Dropped {count} attachment{'s' if count > 1 else ''}; none is sent.")


COMMANDS = (
    Command(
        "image",
        "/image PATH [MESSAGE]",
        "Attach an image (sent with MESSAGE, or with your next message)",
        cmd_image,
    ),
    Command(
        "file",
        "/file PATH [MESSAGE]",
        "Put a text file in your message (with MESSAGE, or the next one)",
        cmd_file,
    ),
    Command("detach", "/detach", "Drop the files waiting for your next message", cmd_detach),
)
