"""The customer portal (a vendor's customers): link exchange and portal views, with portal tokens.

Self-authenticated (no Cognito authorizer): each route's dependency checks the portal token.
The entry point never logs the raw event, which carries the token (shared/api/resolver.py entry_point).
"""

from __future__ import annotations

from shared.api.catalog import API_HANDLERS
from shared.api.resolver import build_resolver, entry_point
from shared.coldstart import initialized
from shared.settings import get_settings

settings = get_settings()
app = build_resolver(lazy=API_HANDLERS["portal"])  # each router is imported on its first request
lambda_handler = entry_point(app)
initialized()  # last line: the cold start is over (shared/coldstart.py)
