"""Build an API Gateway REST resolver with our error format and limits, for any set of routers.

Each API Lambda builds one from its routers; `make openapi` builds one from all of them and
writes openapi.json, the whole API's OpenAPI, which the docs handler serves (shared/api/docs.py).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api.cors import add_cors_headers, cors_config
from shared.api.lazy_routers import LazyRouters
from shared.api.security import operation_security
from shared.db.unavailable import RETRY_AFTER_SECONDS, dynamodb_unavailable
from shared.errors import DomainError, TooManyRequests
from shared.observability import log_event_wanted, logger, metrics, redacted, tracer
from shared.settings import get_settings

if TYPE_CHECKING:  # the OpenAPI models take ~90 ms to import: only the docs and openapi.json need them
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

API_TITLE = "Fleetbridge API"
API_VERSION = "0.1.0"


def openapi_options() -> dict[str, Any]:
    """The document's title, version and security; built on demand (see the lazy import above)."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {
        "title": API_TITLE,
        "version": API_VERSION,
        "description": "Fleets, vendors and their work on vehicles. Errors: {error: {code, message, details}}.",
        "security_schemes": {
            "bearerAuth": HTTPBearer(bearerFormat="JWT", description="the user's Cognito ID token"),
            "portalLink": HTTPBearer(bearerFormat="fbp1 link token",
                                     description="the token after # in a customer's portal link"),
            "portalSession": HTTPBearer(bearerFormat="fbp1 session token",
                                        description="the session token POST /portal/session answers"),
        },
        "security": [{"bearerAuth": []}],
    }


def error_response(
    status: int, code: str, message: str, details: list[Any] | None = None, headers: dict[str, str] | None = None
) -> Response[str]:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, default=str),
        headers=headers,
    )


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        where = loc[0] if loc else "body"
        field = ".".join(loc[1:]) or where
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        details.append({"in": where, "field": field, "message": message})
    return details


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Error",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "machine-readable, e.g. validation_error"},
                "message": {"type": "string", "description": "what is wrong, for a person"},
                "details": {"type": "array", "items": {"type": "object"}, "description": "one entry per field"},
            },
        }
    },
}
ERROR_RESPONSES = {
    "400": "malformed JSON",
    "401": "no or invalid credentials",
    "403": "your role may not do this",
    "404": "not found, or not yours",
    "409": "conflict: stale version, duplicate, or a concurrent change won",
    "413": "body too large",
    "415": "body is not JSON",
    "422": "invalid input: one detail per field",
    "503": "the database did not answer for a moment: retry after Retry-After seconds",
}


@dataclass(frozen=True)
class RawBody:
    """A route that takes a non-JSON body (a CSV upload), with its own media types and size limit."""

    content_types: frozenset[str]
    max_bytes: int
    description: str


# (method, path) -> RawBody; a routes module registers its raw-body routes here at import
RAW_BODY_ROUTES: dict[tuple[str, str], RawBody] = {}


class CallerFirstValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, after the route's credential and role checks: Powertools runs
    it before any dependency, so without this a caller whose role may not use a route got a 422
    listing what the route accepts instead of a 403."""

    def __init__(self) -> None:  # typed here, so that building one is a typed call
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools' __init__ has no annotations

    def handler(self, app: ApiGatewayResolver, next_middleware: NextMiddleware) -> Response[Any]:
        from shared.auth.permissions import check_caller  # with the routes, on first use

        route = app.context.get("_route")
        if route is not None:
            check_caller(route.func, app.request)
        return super().handler(app, next_middleware)

    def _parse_json_data(self, app: Any) -> dict[str, Any]:
        try:
            return super()._parse_json_data(app)
        except RecursionError:  # json.loads gives up on nesting deeper than the interpreter's stack
            raise RequestValidationError([{"type": "json_too_deep", "loc": ("body",), "msg": "nested too deeply",
                                           "input": {}, "ctx": {}}]) from None
        except ValueError as exc:  # JSON that json.loads refuses beyond its syntax: a number of over 4,300 digits
            raise RequestValidationError([{"type": "json_invalid", "loc": ("body",), "msg": str(exc)[:200],
                                           "input": {}, "ctx": {}}]) from None


class Resolver(APIGatewayRestResolver):
    """Powertools' resolver whose OpenAPI documents our error format on every operation."""

    def __init__(self, cors: CORSConfig, lazy_routers: Mapping[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(enable_validation=True, cors=cors)
        # Powertools' own slot for its request validation (a private name: tests/test_role_matrix.py
        # fails, 422 instead of 403, if an upgrade stops using it)
        self._request_validation_middleware = CallerFirstValidation()
        self.cors_config = cors  # entry_point() applies it to the answers Powertools does not build
        self.lazy_routers = LazyRouters(lazy_routers or {})  # entry_point() includes them as requests need them

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

        data = super().get_openapi_schema(**kwargs).model_dump(by_alias=True, exclude_none=True)
        for (method, path), raw in RAW_BODY_ROUTES.items():
            operation = data.get("paths", {}).get(path, {}).get(method.lower())
            if operation is not None:
                operation["requestBody"] = {"required": True, "description": raw.description, "content": {
                    ct: {"schema": {"type": "string"}} for ct in sorted(raw.content_types)}}
        schemas = data.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Error"] = ERROR_SCHEMA
        for route in [*self._static_routes, *self._dynamic_routes]:
            security = operation_security(route.func)
            operation = data.get("paths", {}).get(re.sub(r"<(\w+)>", r"{\1}", route.path), {}).get(route.method.lower())
            if security is not None and operation is not None:
                operation["security"] = security
        error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for operations in data.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                ok = responses.get(200, {}).get("content", {}).get("application/json", {}).get("schema", {})
                if ok.get("type") == "null":  # a route that returns nothing answers `None, 204`: say so
                    del responses[200]
                    responses["204"] = {"description": "done; no content"}
                for status, description in ERROR_RESPONSES.items():
                    responses[status] = {"description": description, "content": error_content}
        return OpenAPI.model_validate(data)


def build_resolver(*routers: Router, lazy: Mapping[str, tuple[str, ...]] | None = None) -> Resolver:
    """A resolver with `routers`, and the `lazy` ones (module -> path segments, as in
    shared/api/catalog.py) to be imported on the first request that needs each."""
    app = Resolver(cors_config(get_settings().app_base_url), lazy)
    for router in routers:
        app.include_router(router)

    def domain_error(exc: DomainError) -> Response[str]:
        headers = None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after_seconds)}
        return error_response(exc.status, exc.code, exc.message, exc.details, headers)

    def invalid_request(exc: RequestValidationError) -> Response[str]:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "malformed_json", "the request body is not valid JSON")
        if any(e.get("type") == "json_too_deep" for e in errors):
            return error_response(400, "malformed_json", "the request body's JSON is nested too deeply")
        return error_response(422, "validation_error", "the request is not valid", _validation_details(errors))

    def no_route(_: NotFoundError) -> Response[str]:
        return error_response(404, "not_found", "no such route")

    def unexpected(exc: Exception) -> Response[str]:
        if dynamodb_unavailable(exc):  # refused, timed out or overloaded: the caller may simply retry
            logger.warning("database unavailable", extra={"error_type": type(exc).__name__, "error": str(exc)[:300]})
            metrics.add_metric(name="DatabaseUnavailable", unit="Count", value=1)
            return error_response(503, "service_unavailable", "the database did not answer; retry shortly",
                                  headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return error_response(500, "internal_error", "something went wrong on our side; it is logged")

    # registered by calling, not as decorators: Powertools' exception_handler has no return annotation,
    # and as a decorator it would turn each handler into an untyped function
    app.exception_handler(DomainError)(domain_error)
    app.exception_handler(RequestValidationError)(invalid_request)
    app.not_found(no_route)
    app.exception_handler(Exception)(unexpected)
    return app


def openapi_json(app: APIGatewayRestResolver) -> str:
    return app.get_openapi_json_schema(**openapi_options())


def entry_point(
    app: Resolver, *, max_body_bytes: int | None = None, json_only: bool = True, answers_metric: str | None = None
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point of an API handler, decorated in the one order every handler uses.

    `max_body_bytes` overrides settings.max_body_bytes; `json_only=False` lets a handler answer a
    non-JSON body itself (the Fleetrock webhook: 400, as its spec says). Every request carries a
    credential (JWT, portal token, webhook signature), so the raw event is never logged: when
    POWERTOOLS_LOGGER_LOG_EVENT asks for it, a copy without credentials or body is logged.
    `answers_metric` (e.g. "FleetrockWebhook"): count every answer ({name}Answered) and the 4xx and
    5xx ones ({name}4xx, {name}5xx), whatever answered them, for the handler's own error-rate alarms.
    """

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if log_event_wanted():
            logger.info(redacted(event))
        app.lazy_routers.include_for(app, str(event.get("path") or ""))  # before the raw-body check: it registers those
        result = refuse_before_parsing(event, max_body_bytes, json_only) or app.resolve(event, context)
        if result.get("statusCode") == 204:  # no content means no body (Powertools would send `null`)
            result["body"] = ""
        if answers_metric:
            _count_answer(answers_metric, int(result.get("statusCode") or 500))
        return add_cors_headers(app.cors_config, event, result)

    return lambda_handler


def _count_answer(name: str, status: int) -> None:
    metrics.add_metric(name=f"{name}Answered", unit="Count", value=1)
    if status >= 400:
        metrics.add_metric(name=f"{name}{'5xx' if status >= 500 else '4xx'}", unit="Count", value=1)


def _json_error(status: int, code: str, message: str) -> dict[str, Any]:
    body = {"error": {"code": code, "message": message, "details": []}}
    return {"statusCode": status, "headers": {"Content-Type": content_types.APPLICATION_JSON}, "body": json.dumps(body)}


def refuse_before_parsing(
    event: dict[str, Any], max_body_bytes: int | None = None, json_only: bool = True
) -> dict[str, Any] | None:
    """A 404 for a path with a control character, a 413 for an oversize body, a 415 for a body that is not
    JSON; None when the request may go on.

    Checked before Powertools parses anything: a huge body costs nothing, and a form-encoded
    body (curl -d without a content type) gets a clear answer instead of odd field errors.
    """
    if any(ord(c) < 0x20 or c == "\x7f" for c in str(event.get("path", ""))):
        # no id holds a control character, and Powertools' route regex (`$`) would let "/users/\n" match "/users"
        return _json_error(404, "not_found", "no such route")
    body = event.get("body") or ""
    if not body:
        return None
    raw = RAW_BODY_ROUTES.get((str(event.get("httpMethod", "")).upper(), str(event.get("path", "")).rstrip("/")))
    if raw is not None:
        return _refuse_raw(event, body, raw)
    limit = max_body_bytes or get_settings().max_body_bytes
    if _body_bytes(event, body) > limit:
        return _json_error(413, "payload_too_large", f"the body is over {limit} bytes")
    if not json_only:
        return None
    content_type = _content_type(event, "application/json")
    if content_type != "application/json" and not content_type.endswith("+json"):
        return _json_error(415, "unsupported_media_type",
                           f"send the body as JSON with Content-Type: application/json (got {content_type})")
    if event.get("isBase64Encoded"):  # bytes that are not UTF-8 arrive base64-encoded: not JSON (Powertools 500s)
        try:
            base64.b64decode(body, validate=True).decode()
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return _json_error(400, "malformed_json", "the request body is not valid JSON (not UTF-8)")
    return None


def _refuse_raw(event: dict[str, Any], body: str, raw: RawBody) -> dict[str, Any] | None:
    """A raw-body route's own checks: its size limit (413) and media types (415)."""
    if _body_bytes(event, body) > raw.max_bytes:
        return _json_error(413, "payload_too_large",
                           f"the body is over {raw.max_bytes // (1024 * 1024)} MB ({raw.max_bytes} bytes): split it")
    content_type = _content_type(event, "")
    if content_type not in raw.content_types:
        return _json_error(415, "unsupported_media_type",
                           f"send the body with Content-Type: {' or '.join(sorted(raw.content_types))} "
                           f"(got {content_type or 'none'})")
    return None


def _body_bytes(event: dict[str, Any], body: str) -> int:
    return len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body)  # base64 is 4/3 of the bytes


def _content_type(event: dict[str, Any], default: str) -> str:
    """The request's media type, lower case, without parameters (charset...)."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return str(headers.get("content-type", default)).split(";")[0].strip().lower()
