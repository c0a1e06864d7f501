"""The end of a handler's cold start; functions/__init__.py paused the garbage collector at its start."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def initialized() -> None:
    """Called on the last line of every handler module. What the import built (modules, models,
    clients) lives as long as the process: gc.freeze() moves it out of the collector's sight, so
    later collections walk only what requests create; then collection resumes."""
    gc.freeze()
    gc.enable()


@contextmanager
def loading() -> Iterator[None]:
    """Code imported after the cold start, on first use (shared/api/lazy_routers.py): like the
    handler's own import, it runs with the collector paused and what it built is then frozen."""
    gc.disable()
    try:
        yield
    finally:
        initialized()
