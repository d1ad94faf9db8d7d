"""Every failure termchat reports to a user is one of these.

    TermchatError                 base; str(error) is the one-line message a user sees   exit 1
    ├── ConfigError               bad config file, bad flag value, bad theme            exit 2
    ├── CommandError              an unknown slash command (never sent to the model)    exit 2
    │   └── UsageError            a command's arguments are wrong (its usage is shown)
    ├── BackendError              anything from talking to a model server
    │   ├── ConnectError          the server could not be reached at all
    │   ├── ServerError           an HTTP error status with the server's message
    │   │   ├── ModelNotFound     404 for the model (suggests `ollama pull`)
    │   │   └── CapabilityError   400 "does not support thinking/tools"
    │   └── ProtocolError         a reply we could not read (not JSON, wrong shape)
    ├── StoreError                the session database cannot be opened or written
    └── ToolError                 a tool failed; its message becomes the tool result

Each error carries the exit status a non-interactive run ends with (`exit_code`); 130 after
Ctrl-C and 128 + N after signal N are not errors and are decided where the signal is handled.

Mid-stream failures are not raised: a backend yields a `StreamError` event so that the partial
reply is kept.
"""

from __future__ import annotations


class TermchatError(Exception):
    """Base of every user-facing failure."""

    exit_code = 1


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

    def __init__(self, host: str, detail: str = "", *, ollama: bool = True) -> None:
        self.host = host
        self.detail = detail
        if ollama:
            msg = f'Cannot reach Ollama at {host} — is "ollama serve" running?'
        else:
            msg = f"Cannot reach the server at {host} — is it running?"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


class ServerError(BackendError):
    """The server answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.server_message = message
        super().__init__(f"Server error {status}: {message}")


class ModelNotFound(ServerError):
    """The requested model is not on the server."""

    def __init__(self, model: str, message: str = "", status: int = 404) -> None:
        self.model = model
        super().__init__(status, message or f"model '{model}' not found")
        self.args = (f"Model '{model}' not found on the server. Pull it with: ollama pull {model}",)

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
