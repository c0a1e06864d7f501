"""Organizations API: sign-up, organization profile, users, /me (and the user's notification email preferences)."""

from __future__ import annotations

from shared.api.catalog import API_HANDLERS
from shared.api.resolver import build_resolver, entry_point
from shared.coldstart import initialized
from shared.settings import get_settings

settings = get_settings()
app = build_resolver(lazy=API_HANDLERS["organizations"])  # each router is imported on its first request
lambda_handler = entry_point(app)
initialized()  # last line: the cold start is over (shared/coldstart.py)
