"""`python -m termchat` entry point."""

from termchat.cli import main

if __name__ == "__main__":
    main()
