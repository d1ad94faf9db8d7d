"""Every failure termchat reports to a user is one of these.

    TermchatError                 base; str(error) is the one-line message a user sees   exit 1
    ├── ConfigError               bad config file, bad flag value, bad theme            exit 2
    ├── CommandError              an unknown slash command (never sent to the model)    exit 2
    │   └── UsageError            a command's arguments are wrong (its usage is shown)
    ├── BackendError              anything from talking to a model server
    │   ├── ConnectError          the server could not be reached at all
    │   ├── ServerError           an HTTP error status with the server's message
    │   │   ├── ModelNotFound     404 for the model (`termchat pull`, or the served models)
    │   │   └── CapabilityError   400 "does not support thinking/tools"
    │   └── ProtocolError         a reply we could not read (not JSON, wrong shape)
    ├── StoreError                the session database cannot be opened or written
    └── ToolError                 a tool failed; its message becomes the tool result

Each error carries the exit status a non-interactive run ends with (`exit_code`); 130 after
Ctrl-C, 128 + N after signal N and 141 when the output's reader went away are not errors and
are decided where that is noticed.

str(error) is one sentence: what happened and what to do. The raw words behind it (a server's
error page, a library's message) are its `detail`, shown only on request (`--verbose`).
A run without a prompt writes each message as one stderr line: `stderr_line` (see README,
"Messages").

Mid-stream failures are not raised: a backend yields a `StreamError` event so that the partial
reply is kept.
"""

from __future__ import annotations

from typing import Self

PROGRAM = "termchat"


def stderr_line(text: str, kind: str = "error") -> str:
    """One message of a run without a prompt, as written to stderr (newline included).

    `termchat: error: …`, `termchat: warning: …`, or `termchat: …` for a notice (kind "").
    """
    level = f"{kind}: " if kind else ""
    return f"{PROGRAM}: {level}{text}\n"


class TermchatError(Exception):
    """Base of every user-facing failure.

    Attributes:
        detail: The raw words behind the message (a server's answer, a library's error), or "".
    """

    exit_code = 1
    detail = ""

    def with_detail(self) -> Self:
        """This error with its detail added to its message (for --verbose); returns itself."""
        if self.detail and self.detail not in str(self):
            self.args = (f"{self} (detail: {self.detail})",)
        return self


class ConfigError(TermchatError):
    """A config file, flag or theme is wrong."""

    exit_code = 2


class CommandError(TermchatError):
    """An unknown or malformed slash command; never sent to the model."""

    exit_code = 2


class UsageError(CommandError):
    """A command's arguments are wrong; the command's usage is added where it is reported.

    The message, if any, says what in particular was wrong ("there are 3 replies").
    """


class BackendError(TermchatError):
    """Talking to the model server failed."""


class ConnectError(BackendError):
    """The server could not be reached."""

    def __init__(
        self, host: str, detail: str = "", *, ollama: bool = True, message: str = ""
    ) -> None:
        self.host = host
        self.detail = detail
        if message:
            msg = message
        elif ollama:
            msg = f'Cannot reach Ollama at {host} — is "ollama serve" running?'
        else:
            msg = f"Cannot reach the server at {host} — is it running?"
        super().__init__(msg)


class ServerError(BackendError):
    """The server answered with an error status.

    Args:
        status: The HTTP status.
        message: The server's message (or, for an answer that is not the server's kind, what
            termchat makes of it).
        detail: The raw answer behind the message, for --verbose.
    """

    def __init__(self, status: int, message: str, detail: str = "") -> None:
        self.status = status
        self.server_message = message
        self.detail = detail
        super().__init__(f"Server error {status}: {message}")


class ModelNotFound(ServerError):
    """The requested model is not on the server.

    Args:
        model: The model asked for.
        message: The server's own words.
        hint: What to do; default: pull it (`termchat pull NAME`).
    """

    def __init__(
        self, model: str, message: str = "", status: int = 404, *, hint: str | None = None
    ) -> None:
        self.model = model
        super().__init__(status, message or f"model '{model}' not found")
        if hint is None:
            hint = f"Pull it with: termchat pull {model}"
            self.args = (f"Model '{model}' not found on the server. {hint}",)
        else:
            said = self.server_message.rstrip(".")
            self.args = (f"{said}. {hint}" if hint else said,)

    def __str__(self) -> str:
        return str(self.args[0])


class CapabilityError(ServerError):
    """The model lacks a capability that was requested (thinking or tools)."""

    def __init__(self, status: int, message: str, capability: str) -> None:
        self.capability = capability
        super().__init__(status, message)


class ProtocolError(BackendError):
    """The server sent something that is not the expected protocol."""


class StoreError(TermchatError):
    """The session store cannot be used."""


class ToolError(TermchatError):
    """A tool could not run or failed."""
