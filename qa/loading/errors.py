"""The loading stage's error type."""


class LoadError(Exception):
    """A file could not be turned into text; the message says why."""
