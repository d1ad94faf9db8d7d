"""/image, /file and /detach, and sending a message with the files it names: every file is read
and checked, and the model's vision asked about, before anything is sent."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from termchat.app import ChatApp
from termchat.attachments import Attachment, first_word, label, read_attachment, scan_message
from termchat.commands.base import Command
from termchat.errors import AttachmentError, TermchatError, UsageError


async def send_message(
    app: ChatApp, text: str, *, scan: str | None = None, keep: Sequence[Attachment] = ()
) -> bool:
    """Send `text` with the files attached by /image and /file, `keep` (those of a message
    sent again) and the files `scan` (default: the text) names; see `scan_message`.

    Returns:
        False when nothing was sent: a file cannot be attached, or the model cannot see
        images. The reason is shown; the attachments waiting for a message stay.
    """
    try:
        named = scan_message(text if scan is None else scan, Path.cwd(), app.config.attach_limits)
    except AttachmentError as exc:
        app.renderer.error(f"{exc}. Nothing was sent.")
        return False
    attachments = _unique([*app.pending, *keep, *named])
    if not await may_send(app, attachments):
        return False
    for attachment in attachments:
        app.renderer.notice(label(attachment.name, attachment.size))
    app.pending = []
    await app.send(text, attachments)
    return True


async def may_send(app: ChatApp, attachments: Sequence[Attachment]) -> bool:
    """False (and why, said) when `attachments` hold an image and the model is known not to
    see images. A model whose capabilities cannot be read now is let through: the turn
    reports why it cannot answer."""
    if not any(a.is_image for a in attachments):
        return True
    try:
        info = await app.model_info()
    except TermchatError:
        return True
    if info is None or info.sees_images:
        return True
    if app.interactive:
        hint = "/model NAME switches to one that can; /detach drops waiting images"
    else:
        hint = "-m NAME picks one that can"
    app.renderer.error(
        f"{app.conversation.model} cannot see images (it has no vision capability); nothing "
        f"was sent. {hint}; an image's name in `backticks` is sent as text."
    )
    return False


def _unique(attachments: Sequence[Attachment]) -> list[Attachment]:
    """Each file once (the same name and content), in order."""
    seen: set[tuple[str, str]] = set()
    out = []
    for a in attachments:
        if (a.name, a.digest) not in seen:
            seen.add((a.name, a.digest))
            out.append(a)
    return out


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
    app.pending = _unique([*app.pending, attachment])
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
