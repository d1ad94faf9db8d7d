"""The Tool record and the registry of tools offered to the model."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from termchat.errors import ToolError
from termchat.tools.policy import Policy

ToolFunction = Callable[[dict[str, Any]], Awaitable[str]]
"""How a tool runs: JSON arguments in, result text out; failures raise (ToolError preferred)."""

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""Names every backend accepts (OpenAI's rule is the strictest)."""


@dataclass(frozen=True)
class Tool:
    """A tool the model may call.

    Attributes:
        name: The name the model uses.
        description: What the tool does, for the model.
        parameters: JSON schema of the arguments object.
        function: Runs the tool.
        source: Where it came from: "builtin", "file:/path/tools.py" or "mcp:NAME".
        policy: Default approval policy when the config says nothing.
        read_only: The tool only reads (informational; the policy decides).
    """

    name: str
    description: str
    parameters: dict[str, Any]
    function: ToolFunction
    source: str = "builtin"
    policy: Policy = "ask"
    read_only: bool = False

    async def __call__(self, arguments: dict[str, Any]) -> str:
        """Run the tool with already validated arguments."""
        return await self.function(arguments)

    def to_schema(self) -> dict[str, Any]:
        """The tool definition sent in a chat request (Ollama and OpenAI share this form)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


def _prefix(source: str) -> str:
    """A short name prefix from a source: "mcp:github" → "github", "file:/x/y.py" → "y"."""
    kind, _, rest = source.partition(":")
    stem = rest.rsplit("/", 1)[-1].removesuffix(".py") if rest else kind
    return re.sub(r"[^A-Za-z0-9_-]", "_", stem) or "tool"


class ToolRegistry:
    """The tools of a session, in the order they were added.

    Name clashes: by default adding a second tool with a taken name raises ToolError naming both
    sources. With `prefix_on_clash=True` (what the composition root uses for MCP tools, whose
    names it does not control) the newcomer is renamed `<source>_<name>` instead, e.g.
    `github_search`; a clash after renaming still raises.
    """

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._disabled: set[str] = set()
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool, *, prefix_on_clash: bool = False, enabled: bool = True) -> Tool:
        """Register a tool and return it as registered (possibly renamed).

        Raises:
            ToolError: The name is invalid, or taken and not renamed.
        """
        if not NAME_PATTERN.match(tool.name):
            raise ToolError(
                f"tool name {tool.name!r} from {tool.source} is not valid "
                "(letters, digits, _ and - only, at most 64 characters)"
            )
        if tool.name in self._tools and prefix_on_clash:
            tool = replace(tool, name=f"{_prefix(tool.source)}_{tool.name}"[:64])
        if tool.name in self._tools:
            other = self._tools[tool.name]
            raise ToolError(
                f'tool "{tool.name}" from {tool.source} clashes with the one from {other.source}'
            )
        self._tools[tool.name] = tool
        if not enabled:
            self._disabled.add(tool.name)
        return tool

    def get(self, name: str) -> Tool | None:
        """The tool called `name`, enabled or not."""
        return self._tools.get(name)

    def names(self) -> list[str]:
        """Every tool's name, in the order added."""
        return list(self._tools)

    def is_enabled(self, name: str) -> bool:
        """True when the tool exists and is offered to the model."""
        return name in self._tools and name not in self._disabled

    def enable(self, name: str) -> None:
        """Offer the tool again.

        Raises:
            ToolError: No such tool.
        """
        self._require(name)
        self._disabled.discard(name)

    def disable(self, name: str) -> None:
        """Stop offering the tool; calls to it are refused.

        Raises:
            ToolError: No such tool.
        """
        self._require(name)
        self._disabled.add(name)

    def schemas(self) -> list[dict[str, Any]]:
        """Definitions of the enabled tools, for the `tools` field of a request."""
        return [t.to_schema() for n, t in self._tools.items() if n not in self._disabled]

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        """Every tool, enabled or not, in the order added."""
        return iter(self._tools.values())

    def _require(self, name: str) -> Tool:
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self._tools) or "none"
            raise ToolError(f'no tool named "{name}" (known: {known})')
        return tool
