"""A real MCP server over stdio, written with the mcp SDK, that the MCP bridge tests start."""

from __future__ import annotations

import os
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("termchat-fixture")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@server.tool()
def env_has(name: str) -> str:
    """Say whether an environment variable is set in this server's process.

    Args:
        name: The variable's name.
    """
    return "set" if name in os.environ else "unset"


@server.tool()
def fail(message: str = "boom") -> str:
    """Always fail, with a message the client sees.

    Args:
        message: What the error says.
    """
    raise ToolError(message)


@server.tool()
def exit_now() -> str:
    """End this server process at once, as a crash would."""
    sys.stdout.flush()
    os._exit(3)


if __name__ == "__main__":
    server.run()
