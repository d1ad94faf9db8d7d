"""Model servers termchat talks to; the only place that imports httpx."""
