"""GET /swagger: the whole API's OpenAPI as Swagger UI; GET /openapi.json (or /swagger?format=json):
the document itself; GET /asyncapi.yaml: the pushes we send to subscribers (AsyncAPI 3).

The document is openapi.json, which `make openapi` generates from every handler's routes and the
Lambda package ships (infra/bundle.py); tests/test_openapi.py fails when it differs from the code.
asyncapi.yaml is served the same way, as committed (`make openapi` writes it from the push event
models, dev/asyncapi.py; tests/test_asyncapi.py fails on drift), so no YAML library is needed here.
Serving these files, rather than building the document from the routes, keeps every route module
and the OpenAPI models out of the docs function's cold start. Offline: the UI's script and style
are inlined from Powertools' package (the docs layer holds them in AWS).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

import aws_lambda_powertools.event_handler as powertools_event_handler
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

# functions/ and shared/ sit beside openapi.json and asyncapi.yaml both in the repository and in the package
OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi.json"
ASYNCAPI_FILE = OPENAPI_FILE.with_name("asyncapi.yaml")
SWAGGER_UI_DIR = Path(powertools_event_handler.__file__).parent / "openapi" / "swagger_ui"

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

router = Router()


@cache
def _document() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    return loaded


@cache
def _asyncapi() -> str:
    return ASYNCAPI_FILE.read_text(encoding="utf-8")


@cache
def _swagger_ui() -> tuple[str, str]:
    return ((SWAGGER_UI_DIR / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
            (SWAGGER_UI_DIR / "swagger-ui.min.css").read_text(encoding="utf-8"))


def _base_path(stage: str | None, path: str) -> str:
    """The stage prefix when the URL has one (the default execute-api URL), none on a custom domain."""
    return f"/{stage}" if stage and stage != "$default" and path.startswith(f"/{stage}") else ""


def _served(event: APIGatewayProxyEvent) -> str:
    """The document with the server its URLs are relative to; "</" escaped, so that it cannot close
    the page's <script> element."""
    context = event.request_context
    document = {**_document(), "servers": [{"url": _base_path(context.stage, context.path) or "/"}]}
    return json.dumps(document, indent=2).replace("</", "<\\/")


@router.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    spec = _served(cast("APIGatewayProxyEvent", router.current_event))
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=spec)


@router.get("/asyncapi.yaml", include_in_schema=False)
def asyncapi_document() -> Response[str]:
    return Response(status_code=200, content_type="application/yaml", body=_asyncapi())


@router.get("/swagger", include_in_schema=False)
def swagger() -> Response[str]:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    event = cast("APIGatewayProxyEvent", router.current_event)
    spec = _served(event)
    if (event.query_string_parameters or {}).get("format") == "json":
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=spec)
    script, style = _swagger_ui()
    page = generate_swagger_html(spec, script, style, "", None, False)
    return Response(status_code=200, content_type="text/html", body=page)
