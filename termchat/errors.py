"""Every failure termchat reports to a user is one of these.

    TermchatError                 base; str(error) is the one-line message a user sees
    ├── ConfigError               bad config file, bad flag value, bad theme
    ├── BackendError              anything from talking to a model server
    │   ├── ConnectError          the server could not be reached at all
    │   ├── ServerError           an HTTP error status with the server's message
    │   │   ├── ModelNotFound     404 for the model (suggests `ollama pull`)
    │   │   └── CapabilityError   400 "does not support thinking/tools"
    │   └── ProtocolError         a reply we could not read (not JSON, wrong shape)
    ├── StoreError                the session database cannot be opened or written
    └── ToolError                 a tool failed; its message becomes the tool result

Mid-stream failures are not raised: a backend yields a `StreamError` event so that the partial
reply is kept.
"""

from __future__ import annotations


class TermchatError(Exception):
    """Base of every user-facing failure."""


class ConfigError(TermchatError):
    """A config file, flag or theme is wrong."""


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
