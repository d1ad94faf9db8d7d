"""Tools for the end-to-end approval tests (loaded with --tools-file)."""


def shout(text: str) -> str:
    """Return the text in capitals.

    Args:
        text: What to shout.
    """
    return text.upper()
