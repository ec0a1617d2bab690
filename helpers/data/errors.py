"""The data layer's one exception type."""

__all__ = ["DataError"]


class DataError(Exception):
    """A data problem the user can fix; the message names the file, the problem and the remedy."""
