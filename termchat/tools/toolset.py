"""The tool side of a turn: offer tools, ask approval, run each call, hand results back."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from termchat.config import Config
from termchat.errors import ToolError
from termchat.messages import Message, ToolCall
from termchat.tools.policy import ApprovalAnswer, ApprovalState, parse_policies
from termchat.tools.registry import Tool, ToolRegistry
from termchat.tools.runner import ToolResult, denied_result, run_tool_call

if TYPE_CHECKING:
    from termchat.app import ChatApp


class Approver(Protocol):
    """Asks the user; the REPL implements it. Non-interactive runs have none."""

    async def approve(self, tool: Tool, call: ToolCall) -> ApprovalAnswer | None: ...
    async def confirm_more(self, rounds: int) -> bool: ...


class ToolSet:
    """Registry + approval state + the per-call loop; ChatApp calls it after a reply asks."""

    def __init__(
        self,
        registry: ToolRegistry,
        approvals: ApprovalState,
        *,
        chain_limit: int = 10,
        approver: Approver | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.registry = registry
        self.approvals = approvals
        self.chain_limit = chain_limit
        self.approver = approver
        self.timeout = timeout
        self.mcp: Any = None
        self._problems_seen = 0

    def schemas(self) -> list[dict[str, Any]] | None:
        """Definitions of the enabled tools, or None when there are none."""
        return self.registry.schemas() or None

    async def run_calls(self, app: ChatApp, message: Message, rounds: int) -> bool:
        """Run every call of `message` in order; True when the model should be asked again."""
        for call in message.tool_calls:
            result = await self._one(app, call)
            if result is None:  # interrupted: stop the chain, the history stays consistent
                app.renderer.interrupted_marker()
                app.session.add(
                    Message(
                        role="tool",
                        content="Error: the user interrupted the tool call.",
                        tool_name=call.name,
                        tool_call_id=call.id,
                        interrupted=True,
                    )
                )
                return False
            app.session.add(result.to_message())
            app.on_tool_result(result)
            self._report_lost_servers(app)
        at_limit = rounds % self.chain_limit == 0
        if at_limit and (self.approver is None or not await self.approver.confirm_more(rounds)):
            app.renderer.warning(
                f"Stopped after {rounds} rounds of tool calls (the chain limit). "
                "Send a message to go on."
            )
            return False
        return True

    def _report_lost_servers(self, app: ChatApp) -> None:
        """An MCP server that died: say so once, and stop offering its tools."""
        if self.mcp is None or len(self.mcp.problems) == self._problems_seen:
            return
        for problem in self.mcp.problems[self._problems_seen :]:
            app.renderer.warning(problem)
        self._problems_seen = len(self.mcp.problems)
        running = {f"mcp:{name}" for name in self.mcp.running()}
        for row in self.registry.list():
            if row.source.startswith("mcp:") and row.source not in running and row.enabled:
                self.registry.disable(row.name)

    async def _one(self, app: ChatApp, call: ToolCall) -> ToolResult | None:
        app.renderer.tool_call(call.name, call.arguments)
        edited = False
        tool = self.registry.get(call.name)
        if tool is not None and self.registry.is_enabled(call.name):
            decision = self.approvals.decide(tool)
            if decision == "ask" and self.approver is None:
                decision = "deny"
            if decision == "deny":
                result = denied_result(call, self.approvals.refusal_text(tool))
                self._show(app, result)
                return result
            if decision == "ask":
                assert self.approver is not None
                answer = await app.while_paused(self.approver.approve(tool, call))
                if answer is None:
                    return None
                self.approvals.apply(call.name, answer)
                if not answer.approved:
                    result = denied_result(call, answer.denial_text(call.name))
                    self._show(app, result)
                    return result
                edited = answer.kind == "edit" and answer.arguments != call.arguments
                call = answer.call_to_run(call)
                if edited:
                    app.renderer.tool_call(call.name, call.arguments)
        ran = await app.cancellable(run_tool_call(self.registry, call, timeout=self.timeout))
        if ran is None:
            return None
        if edited:  # the history keeps the model's call; tell the model what really ran
            note = json.dumps(call.arguments, ensure_ascii=False)
            ran = dataclasses.replace(
                ran, text=f"(The user edited the arguments to {note}.)\n" + ran.text
            )
        self._show(app, ran)
        return ran

    @staticmethod
    def _show(app: ChatApp, result: ToolResult) -> None:
        shortened = result.display_text != result.text
        note = "(shortened on screen; the model gets all of it)" if shortened else None
        app.renderer.tool_result(
            result.call.name, result.display_text, error=result.error, truncated_note=note
        )

    async def start_mcp(self, servers: dict[str, dict[str, Any]]) -> list[str]:
        """Start the configured MCP servers and add their tools; returns problems to show.

        Raises:
            ConfigError: a server's table is malformed.
        """
        from termchat.tools.mcp_bridge import McpManager, parse_mcp_servers

        configs = parse_mcp_servers(servers)
        self.mcp = McpManager()
        for tool in await self.mcp.start(configs):
            self.registry.add(tool, prefix_on_clash=True)
        return list(self.mcp.problems)

    async def aclose(self) -> None:
        """Stop MCP servers."""
        if self.mcp is not None:
            await self.mcp.aclose()
            self.mcp = None


def build_toolset(config: Config, *, interactive: bool, assume_yes: bool) -> ToolSet:
    """Every built-in (enabled when the config or a flag names it), plus tools files.

    Built-ins that were not named stay registered but disabled, so `/tools enable NAME` works;
    with nothing enabled, no tools are offered to the model.

    Raises:
        ToolError: an unknown built-in name or a tools file that cannot be loaded.
    """
    from termchat.tools.builtins import builtin_tools
    from termchat.tools.loader import load_tools_file

    registry = ToolRegistry()
    builtins = builtin_tools(Path.cwd())
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
    return ToolSet(registry, approvals, chain_limit=config.tool_chain_limit)
