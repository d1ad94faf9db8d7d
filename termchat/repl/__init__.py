"""The interactive prompt: the only prompt_toolkit user."""
