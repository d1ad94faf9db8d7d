"""Tools the model can call: registry, schema from signatures, built-ins, files, MCP, approval."""

from termchat.tools.builtins import builtin_tools
from termchat.tools.loader import load_tools_file
from termchat.tools.mcp_bridge import McpManager, McpServerConfig, parse_mcp_servers
from termchat.tools.policy import ApprovalAnswer, ApprovalState, Policy, parse_policies
from termchat.tools.registry import Tool, ToolRegistry, ToolRow
from termchat.tools.runner import ToolResult, denied_result, run_tool_call
from termchat.tools.schema import tool_from_function

__all__ = [
    "ApprovalAnswer",
    "ApprovalState",
    "McpManager",
    "McpServerConfig",
    "Policy",
    "Tool",
    "ToolRegistry",
    "ToolResult",
    "ToolRow",
    "builtin_tools",
    "denied_result",
    "load_tools_file",
    "parse_mcp_servers",
    "parse_policies",
    "run_tool_call",
    "tool_from_function",
]
