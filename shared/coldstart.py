"""The end of a handler's cold start; functions/__init__.py paused the garbage collector at its start."""

from __future__ import annotations

import gc


def initialized() -> None:
    """Called on the last line of every handler module. What the import built (modules, models,
    clients) lives as long as the process: gc.freeze() moves it out of the collector's sight, so
    later collections walk only what requests create; then collection resumes."""
    gc.freeze()
    gc.enable()
