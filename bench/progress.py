"""Progress lines: ``[  95 s] message``, flushed at once, timed from the start of the benchmark."""

from __future__ import annotations

import time

_START = time.perf_counter()


def restart() -> None:
    """Time the following lines from now."""
    global _START
    _START = time.perf_counter()


def elapsed() -> float:
    """Seconds since the benchmark started."""
    return time.perf_counter() - _START


def log(message: str) -> None:
    """Print one progress line."""
    print(f"[{elapsed():5.0f} s] {message}", flush=True)
