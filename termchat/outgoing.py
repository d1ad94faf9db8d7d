"""Sending a message with the files it names: every file is read and checked, and the model's
vision asked about, before anything is sent. Used by the REPL, /edit, /image and /file, and
`-p` (which does not load the command table)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from termchat.app import ChatApp
from termchat.attachments import Attachment, label, scan_message, unique
from termchat.errors import AttachmentError, TermchatError


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
    attachments = unique([*app.pending, *keep, *named])
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
