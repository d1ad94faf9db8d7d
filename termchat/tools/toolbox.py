"""The session's toolbox: the registry, the approval state and the MCP servers, behind one face.

The turn (termchat.app) asks it what to do with a call, runs the call through it and draws the
result; the toolbox itself knows nothing of the app, the screen or the user.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from termchat.config import Config
from termchat.errors import ToolError
from termchat.messages import ToolCall
from termchat.tools.policy import ApprovalAnswer, ApprovalState, Policy, parse_policies
from termchat.tools.registry import ToolRegistry
from termchat.tools.runner import DEFAULT_TIMEOUT, ToolResult, denied_result, run_tool_call

if TYPE_CHECKING:
    from termchat.tools.mcp_bridge import McpManager


@dataclass(frozen=True)
class ToolRow:
    """One line of the `/tools` listing.

    Attributes:
        policy: The effective policy: what the next call gets, e.g. `allow (always)` once
            the user answered "always" (this tool, this session).
    """

    name: str
    source: str
    policy: str
    enabled: bool
    description: str


class Toolbox:
    """The tools of one chat: what is offered, what may run, running it, MCP servers.

    Args:
        registry: Every tool, enabled or not.
        approvals: Configured policies plus the user's "always" answers.
        chain_limit: Tool rounds in one turn before the user is asked whether to go on.
        timeout: Seconds one call may take.
    """

    def __init__(
        self,
        registry: ToolRegistry,
        approvals: ApprovalState,
        *,
        chain_limit: int = 10,
        timeout: float = DEFAULT_TIMEOUT,
        tool_env: tuple[str, ...] = (),
    ) -> None:
        self.registry = registry
        self.approvals = approvals
        self.chain_limit = chain_limit
        self.timeout = timeout
        self.tool_env = tool_env
        self._mcp: McpManager | None = None
        self._problems_seen = 0

    def schemas(self) -> list[dict[str, Any]] | None:
        """Definitions of the enabled tools, or None when there are none."""
        return self.registry.schemas() or None

    # --- deciding ------------------------------------------------------------------------

    def decide(self, call: ToolCall) -> Policy:
        """Run the call now (allow), ask the user first (ask), or refuse it (deny).

        A call to an unknown or disabled tool is "allow": running it answers the model with
        what went wrong and which tools exist.
        """
        tool = self.registry.get(call.name)
        if tool is None or not self.registry.is_enabled(call.name):
            return "allow"
        return self.approvals.decide(tool)

    def refusal(self, call: ToolCall) -> ToolResult:
        """The result of a call `decide` refused, telling the model why."""
        tool = self.registry.get(call.name)
        assert tool is not None, "decide() refuses only registered tools"
        return denied_result(call, self.approvals.refusal_text(tool))

    def denial(self, call: ToolCall, answer: ApprovalAnswer) -> ToolResult:
        """The result of a call the user denied, with their reason if they gave one."""
        return denied_result(call, answer.denial_text(call.name))

    def offers_always(self, call: ToolCall) -> bool:
        """Whether the user may answer "always" for this call's tool."""
        return self.approvals.offers_always(call.name)

    def remember(self, call: ToolCall, answer: ApprovalAnswer) -> None:
        """Keep what the user answered ("always" allows the tool for the rest of the chat)."""
        self.approvals.apply(call.name, answer)

    def chain_limit_reached(self, rounds: int) -> bool:
        """True after every `chain_limit` rounds of tool calls in one turn."""
        return rounds % self.chain_limit == 0

    # --- running -------------------------------------------------------------------------

    async def run(self, call: ToolCall, *, edited_from: ToolCall | None = None) -> ToolResult:
        """Run one approved call; never raises but for cancellation.

        Args:
            edited_from: The model's call when the user edited its arguments: the result then
                says what really ran, since the history keeps the model's call.
        """
        result = await run_tool_call(self.registry, call, timeout=self.timeout)
        if edited_from is None or edited_from.arguments == call.arguments:
            return result
        note = json.dumps(call.arguments, ensure_ascii=False)
        return dataclasses.replace(
            result, text=f"(The user edited the arguments to {note}.)\n" + result.text
        )

    def lost_servers(self) -> list[str]:
        """MCP servers that died since the last look, one line each; their tools are no longer
        offered."""
        if self._mcp is None or len(self._mcp.problems) == self._problems_seen:
            return []
        new = self._mcp.problems[self._problems_seen :]
        self._problems_seen = len(self._mcp.problems)
        running = {f"mcp:{name}" for name in self._mcp.running()}
        for tool in self.registry:
            lost = tool.source.startswith("mcp:") and tool.source not in running
            if lost and self.registry.is_enabled(tool.name):
                self.registry.disable(tool.name)
        return list(new)

    # --- the /tools command --------------------------------------------------------------

    def rows(self) -> list[ToolRow]:
        """Every tool with its source, effective policy and state, in the order added."""
        return [
            ToolRow(
                name=tool.name,
                source=tool.source,
                policy=self.approvals.effective(tool),
                enabled=self.registry.is_enabled(tool.name),
                description=tool.description,
            )
            for tool in self.registry
        ]

    def enable(self, name: str) -> None:
        """Offer the tool to the model again.

        Raises:
            ToolError: No such tool.
        """
        self.registry.enable(name)

    def disable(self, name: str) -> None:
        """Stop offering the tool, and forget an "always" answer for it.

        Raises:
            ToolError: No such tool.
        """
        self.registry.disable(name)
        self.approvals.forget(name)

    # --- MCP servers ---------------------------------------------------------------------

    async def start_mcp(self, servers: dict[str, dict[str, Any]]) -> list[str]:
        """Start the configured MCP servers and add their tools; returns problems to show.

        Raises:
            ConfigError: a server's table is malformed.
        """
        from termchat.tools.mcp_bridge import McpManager, parse_mcp_servers

        configs = parse_mcp_servers(servers)
        self._mcp = McpManager(tool_env=self.tool_env)
        for tool in await self._mcp.start(configs):
            self.registry.add(tool, prefix_on_clash=True)
        self._problems_seen = len(self._mcp.problems)
        return list(self._mcp.problems)

    async def aclose(self) -> None:
        """Stop the MCP servers."""
        if self._mcp is not None:
            await self._mcp.aclose()
            self._mcp = None


def build_toolbox(config: Config, *, interactive: bool, assume_yes: bool) -> Toolbox:
    """Every built-in (enabled when the config or a flag names it), plus tools files.

    Built-ins that were not named stay registered but disabled, so `/tools enable NAME` works;
    with nothing enabled, no tools are offered to the model.

    Raises:
        ToolError: an unknown built-in name or a tools file that cannot be loaded.
    """
    from termchat.tools.builtins import builtin_tools
    from termchat.tools.loader import load_tools_file

    registry = ToolRegistry()
    builtins = builtin_tools(
        Path.cwd(), tool_env=config.tool_env, fetch_allow_hosts=config.fetch_allow_hosts
    )
    for name in config.tools:
        if name not in builtins:
            known = ", ".join(sorted(builtins))
            raise ToolError(f"Unknown built-in tool {name!r}. Built-ins: {known}")
    for name, tool in builtins.items():
        registry.add(tool, enabled=name in config.tools)
    for path in config.tools_files:
        for tool in load_tools_file(Path(path).expanduser()):
            registry.add(tool, prefix_on_clash=True)
    approvals = ApprovalState(
        policies=parse_policies(config.tool_policies),
        interactive=interactive,
        assume_yes=assume_yes,
    )
    return Toolbox(
        registry, approvals, chain_limit=config.tool_chain_limit, tool_env=tuple(config.tool_env)
    )
