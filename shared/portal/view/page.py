"""The customer portal as a page (issue 21): `GET /portal` and its files, served by the portal function itself.

The portal link (`{APP_BASE_URL}/portal#link=<token>`) opens this page; its script exchanges the token
for a session (`POST /portal/session`) and calls the portal routes beside it. Served from the same
origin as those routes, so the content security policy allows only our own origin (and the tile
host when one is set): no CDN, Leaflet and the US states outline come from npm, in the bundle.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from shared.errors import NotFound
from shared.settings import get_settings

ROOT = Path(__file__).resolve().parents[3]  # the repository locally
LAYER_FOLDER = "portal_page"
# where the files are: the repository, or in Lambda the portal function's own layer (infra/bundle.py)
ROOTS = (ROOT, Path("/opt") / LAYER_FOLDER)
STATIC = Path("shared", "portal", "view", "static")
# the page's files by the name it asks for -> where they are, relative to ROOT (infra/bundle.py copies them)
ASSETS: dict[str, Path] = {
    "portal.js": STATIC / "portal.js",
    "portal.css": STATIC / "portal.css",
    "leaflet.js": Path("node_modules", "leaflet", "dist", "leaflet.js"),
    "leaflet.css": Path("node_modules", "leaflet", "dist", "leaflet.css"),
    "topojson-client.min.js": Path("node_modules", "topojson-client", "dist", "topojson-client.min.js"),
    "states-10m.json": Path("node_modules", "us-atlas", "states-10m.json"),
}
INDEX = STATIC / "index.html"
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".json": "application/json", ".html": "text/html; charset=utf-8"}


def content_security_policy() -> str:
    """Our own origin for everything; images also from the tile host (when set) and the pictures'
    bucket (presigned URLs); no inline script, no framing, no other origin to talk to. Inline styles
    are allowed: Leaflet positions the map's panes and tiles with them."""
    settings = get_settings()
    images = ["'self'", "data:"]
    if settings.portal_tile_url:
        parts = urlsplit(settings.portal_tile_url.replace("{s}", "a"))
        images.append(f"{parts.scheme}://{parts.hostname}".replace("://a.", "://*."))  # {s}: any subdomain
    if settings.pictures_bucket:
        bucket = settings.pictures_bucket
        images += [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{settings.aws_region}.amazonaws.com"]
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src {' '.join(dict.fromkeys(images))}; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'none'; object-src 'none'")


@cache
def _read(path: Path) -> str:
    for root in ROOTS:
        if (root / path).is_file():
            return (root / path).read_text(encoding="utf-8")
    raise FileNotFoundError(f"the portal page's {path} is in none of {ROOTS}: is the portal layer attached?")


def page_html() -> str:
    settings = get_settings()
    return _read(INDEX).format(tile_url=html.escape(settings.portal_tile_url or "", quote=True),
                               tile_attribution=html.escape(settings.portal_tile_attribution or "", quote=True))


def asset(name: str) -> tuple[str, str]:
    """(the file's text, its content type); 404 for any name the page does not ask for."""
    path = ASSETS.get(name)
    if path is None:
        raise NotFound(f"no portal file {name}")
    return _read(path), CONTENT_TYPES[path.suffix]
