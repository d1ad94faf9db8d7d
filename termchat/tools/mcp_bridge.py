"""MCP servers (stdio or streamable HTTP) as tools, through the official `mcp` SDK (lazy import)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO, cast

from termchat import __version__
from termchat.errors import ConfigError, ToolError
from termchat.tools.process import tool_environment
from termchat.tools.registry import Tool

STARTUP_TIMEOUT = 15.0
MAX_TOOL_PAGES = 50
INSTALL_HINT = "install termchat[mcp] (pip install 'termchat[mcp]')"

_KEYS = {"command", "args", "env", "url", "timeout"}


@dataclass(frozen=True)
class McpServerConfig:
    """One `[mcp_servers.NAME]` table: `command` + `args` + `env` (stdio) or `url` (HTTP)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None
    timeout: float = STARTUP_TIMEOUT

    @classmethod
    def from_mapping(cls, name: str, data: Mapping[str, Any]) -> McpServerConfig:
        """Read and check one server's table.

        Raises:
            ConfigError: Unknown keys, wrong types, or not exactly one of command and url.
        """
        where = f"[mcp_servers.{name}]"
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where} must be a table")
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
        command, url = data.get("command"), data.get("url")
        if (command is None) == (url is None):
            raise ConfigError(f"{where} needs either command (stdio) or url (HTTP)")
        if command is not None and (not isinstance(command, str) or not command.strip()):
            raise ConfigError(f"{where}: command must be a non-empty string")
        if url is not None and (not isinstance(url, str) or not re.match(r"https?://", url)):
            raise ConfigError(f"{where}: url must start with http:// or https://")
        args = data.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ConfigError(f"{where}: args must be a list of strings")
        env = data.get("env", {})
        if not isinstance(env, Mapping) or not all(isinstance(v, str) for v in env.values()):
            raise ConfigError(f"{where}: env must be a table of strings")
        timeout = data.get("timeout", STARTUP_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigError(f"{where}: timeout must be a positive number of seconds")
        return cls(name, command, tuple(args), dict(env), url, float(timeout))


def parse_mcp_servers(section: Mapping[str, Any]) -> list[McpServerConfig]:
    """Read the whole `[mcp_servers]` table (name → server table)."""
    return [McpServerConfig.from_mapping(str(name), data) for name, data in section.items()]


def child_environment(config: McpServerConfig, tool_env: Iterable[str] = ()) -> dict[str, str]:
    """The environment a stdio server gets: what every tool process gets, then its `env`.

    That is `process.tool_environment` (PATH, HOME, LANG, `LC_*`, ... and the names in
    `tool_env`), never an API key. The SDK adds its own default set (HOME, LOGNAME, PATH,
    SHELL, TERM, USER on POSIX) under it; that set holds no secret either.
    """
    return {**tool_environment(tool_env), **config.env}


def content_text(blocks: Iterable[Any], structured: Any = None) -> str:
    """Flatten MCP result content blocks into the text a model reads."""
    parts: list[str] = []
    for block in blocks:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind in ("image", "audio"):
            parts.append(f"[{kind}: {block.mime_type}, {len(block.data) * 3 // 4} bytes]")
        elif kind == "resource_link":
            parts.append(f"[resource: {block.uri}]")
        elif kind == "resource":
            text = getattr(block.resource, "text", None)
            parts.append(text if text is not None else f"[binary resource: {block.resource.uri}]")
        else:
            parts.append(f"[{kind or 'unknown'} content]")
    if not parts and structured is not None:
        return json.dumps(structured, ensure_ascii=False)
    return "\n".join(parts)


def _describe(exc: BaseException) -> str:
    """A one-line reason, digging through exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, FileNotFoundError):
        return f"command not found: {exc.filename or exc}"
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename or exc}"
    message = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class _Server:
    """One connection, owned by its own task so the SDK's scopes open and close in one task."""

    def __init__(self, config: McpServerConfig, manager: McpManager) -> None:
        self.config = config
        self.manager = manager
        self.client: Any = None
        self.alive = False
        self.stop = asyncio.Event()
        self.ready: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        # Kept open for the server's lifetime (closed in McpManager._stop): the child writes
        # its stderr here instead of over the chat, and a failure message quotes its last line.
        self.errlog = cast(
            TextIO,
            tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace"),  # noqa: SIM115
        )
        self.task = asyncio.create_task(self._run(), name=f"mcp:{config.name}")

    def _transport(self) -> Any:
        """A URL (the SDK's streamable HTTP client) or a stdio transport with our env and errlog."""
        from mcp import StdioServerParameters, stdio_client

        if self.config.url:
            return self.config.url
        assert self.config.command is not None
        params = StdioServerParameters(
            command=self.config.command,
            args=list(self.config.args),
            env=child_environment(self.config, self.manager.tool_env),
        )
        return stdio_client(params, errlog=self.errlog)

    async def _run(self) -> None:
        import anyio
        from mcp import Client
        from mcp_types import Implementation

        try:
            with anyio.CancelScope(deadline=anyio.current_time() + self.config.timeout) as scope:
                client = Client(
                    self._transport(),
                    client_info=Implementation(name="termchat", version=__version__),
                    cache=None,
                )
                async with client:
                    tools = await self._list_tools(client)
                    scope.deadline = math.inf
                    self.client, self.alive = client, True
                    if not self.ready.done():  # done only if start() was cancelled
                        self.ready.set_result(tools)
                    await self.stop.wait()
            if scope.cancelled_caught and not self.ready.done():
                self.ready.set_exception(
                    TimeoutError(f"no answer within {self.config.timeout:g} s")
                )
        except Exception as exc:
            if not self.ready.done():
                self.ready.set_exception(exc)
            elif self.alive:
                self.lost(exc)
        finally:
            self.alive = False
            if not self.ready.done():
                self.ready.set_exception(ToolError("stopped"))

    @staticmethod
    async def _list_tools(client: Any) -> list[Any]:
        tools: list[Any] = []
        cursor = None
        for _ in range(MAX_TOOL_PAGES):
            page = await client.list_tools(cursor=cursor)
            tools += page.tools
            cursor = page.next_cursor
            if cursor is None:
                break
        return tools

    def stderr_tail(self) -> str:
        """The last line the server wrote to stderr, if any."""
        with contextlib.suppress(OSError, ValueError):
            self.errlog.flush()
            self.errlog.seek(0)
            lines = [
                line.strip() for line in self.errlog.read()[-4000:].splitlines() if line.strip()
            ]
            return lines[-1][:300] if lines else ""
        return ""

    def lost(self, exc: BaseException | str) -> None:
        """Record that the server went away."""
        if not self.alive:
            return
        self.alive = False
        reason = exc if isinstance(exc, str) else _describe(exc)
        self.manager.problems.append(
            f"MCP server '{self.config.name}' stopped ({reason}); its tools are unavailable"
        )

    def wrap(self, spec: Any) -> Tool:
        """A Tool that calls `spec` (an MCP tool definition) on this server."""
        remote = spec.name
        name = re.sub(r"[^A-Za-z0-9_-]", "_", remote)[:64] or "tool"
        schema = dict(spec.input_schema or {})
        schema.setdefault("type", "object")
        hints = getattr(spec, "annotations", None)

        async def call(arguments: dict[str, Any]) -> str:
            if not self.alive or self.client is None:
                raise ToolError(f"MCP server '{self.config.name}' is not running")
            from mcp import MCPError
            from mcp_types import CONNECTION_CLOSED

            try:
                result = await self.client.call_tool(remote, arguments)
            except MCPError as exc:
                if exc.code == CONNECTION_CLOSED:
                    self.lost("connection closed")
                    raise ToolError(f"MCP server '{self.config.name}' stopped") from None
                raise ToolError(f"MCP server '{self.config.name}': {exc.message}") from None
            text = content_text(result.content, result.structured_content)
            if result.is_error:
                raise ToolError(text or "the tool reported an error")
            return text

        return Tool(
            name=name,
            description=spec.description or spec.title or remote,
            parameters=schema,
            function=call,
            source=f"mcp:{self.config.name}",
            policy="ask",
            read_only=bool(hints and hints.read_only_hint),
        )


class McpManager:
    """Starts MCP servers, offers their tools, and shuts them down.

    Failures never raise: a server that cannot start, does not answer in time or dies later is
    described in `problems` (one line naming it) and the others keep working. A stdio server
    inherits only the base tool environment plus the names in `tool_env` (config `tool_env`),
    then its own `env` table.
    """

    def __init__(self, *, tool_env: Iterable[str] = ()) -> None:
        self.tool_env = tuple(tool_env)
        self.problems: list[str] = []
        self._servers: list[_Server] = []

    async def start(self, configs: Iterable[McpServerConfig]) -> list[Tool]:
        """Connect to every server at once and return the tools of those that answered."""
        configs = list(configs)
        if not configs:
            return []
        try:
            import mcp  # noqa: F401
        except ImportError:
            names = ", ".join(c.name for c in configs)
            self.problems.append(
                f"MCP servers skipped ({names}): the mcp package is missing; {INSTALL_HINT}"
            )
            return []
        servers = [_Server(config, self) for config in configs]
        self._servers += servers
        results = await asyncio.gather(*(s.ready for s in servers), return_exceptions=True)
        tools: list[Tool] = []
        for server, result in zip(servers, results, strict=True):
            if isinstance(result, BaseException):
                reason = _describe(result)
                tail = server.stderr_tail()
                if tail and tail not in reason:
                    reason += f"; stderr: {tail}"
                self.problems.append(f"MCP server '{server.config.name}' could not start: {reason}")
                await self._stop(server)
            else:
                tools += [server.wrap(spec) for spec in result]
        return tools

    def running(self) -> list[str]:
        """Names of the servers that are up."""
        return [s.config.name for s in self._servers if s.alive]

    async def _stop(self, server: _Server) -> None:
        server.alive = False  # a call racing the shutdown is "not running", not a crash
        server.stop.set()
        with contextlib.suppress(Exception):
            await server.task
        server.errlog.close()

    async def aclose(self) -> None:
        """Stop every server (each child gets the SDK's close-stdin, terminate, kill sequence)."""
        servers, self._servers = self._servers, []
        await asyncio.gather(*(self._stop(s) for s in servers))

    async def __aenter__(self) -> McpManager:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
