"""Write (or check) asyncapi.yaml: the push deliveries we POST to subscribers, as an AsyncAPI 3 document.

Built from the code, so it cannot drift silently: one message per model of shared/push/events.py
(its payload the model's JSON Schema), the headers that shared/push/signing.py actually produces,
and the retry figures of shared/push/attempts.py. tests/test_asyncapi.py fails when the committed
file differs, and validates real deliveries against it.

    python -m dev.asyncapi          # rewrite asyncapi.yaml
    python -m dev.asyncapi --check  # exit 1 when the committed file differs from the code
"""

from __future__ import annotations

import inspect
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from shared.api.resolver import API_VERSION
from shared.base_models import Model
from shared.push import attempts, sender, signing
from shared.push.events import PUSH_EVENTS

ASYNCAPI_FILE = Path(__file__).resolve().parent.parent / "asyncapi.yaml"
CHANNEL = "subscriberUrl"
HEADERS = "DeliveryHeaders"  # the components.schemas entry every message's headers refer to
SCHEMAS = "#/components/schemas/"
Json = dict[str, Any]


class SentFieldsRequired(GenerateJsonSchema):
    """Our bodies carry every field, defaults included (events.body and the stored bodies exclude
    nothing), so the serialization schema marks each required: a receiver may rely on all of them."""

    def field_is_required(self, field: core_schema.ModelField | core_schema.DataclassField
                          | core_schema.TypedDictField, total: bool) -> bool:
        return self.mode == "serialization" or super().field_is_required(field, total)


def event_type(model: type[Model]) -> str:
    return str(model.model_fields["type"].default)


def payload_schemas() -> tuple[dict[str, Json], dict[str, Json]]:
    """Each event type's payload schema, and the schemas they share (pydantic's $defs), by name."""
    payloads: dict[str, Json] = {}
    shared: dict[str, Json] = {}
    for model in PUSH_EVENTS:
        schema = model.model_json_schema(mode="serialization", ref_template=SCHEMAS + "{model}",
                                         schema_generator=SentFieldsRequired)
        for name, definition in schema.pop("$defs", {}).items():
            if shared.setdefault(name, definition) != definition:
                raise ValueError(f"two different schemas are named {name}: rename one of the models")
        payloads[event_type(model)] = schema
    return payloads, shared


def _sent_headers(secret: str) -> dict[str, str]:
    """What signing.headers() sends with this secret, names lowercased."""
    return {name.lower(): value for name, value in signing.headers([secret], 0, "dlv_sample", b"{}").items()}


# Every header signing.headers() sends, lowercased (HTTP names are case-insensitive): its description
# and pattern. A header added there and not described here stops the generator (headers_schema).
HEADER_DOCS: dict[str, tuple[str, str | None]] = {
    "content-type": ("always JSON", None),
    "user-agent": ("who sends it", None),
    signing.DELIVERY_HEADER.lower(): ("the delivery id, the same on every retry and redelivery: dedupe by it", None),
    signing.SIGNATURE_HEADER.lower(): (
        "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<delivery id>.<body>\")>`, one `v1=` per "
        "signing secret (two while a rotated-out secret still signs); the key is the secret string as it is",
        r"^t=[0-9]+(,v1=[0-9a-f]{64})+$"),
    signing.WEBHOOK_ID: ("Standard Webhooks: the delivery id (equal to X-Fleetbridge-Delivery): dedupe by it", None),
    signing.WEBHOOK_TIMESTAMP: ("Standard Webhooks: when it was signed, in unix seconds", r"^[0-9]+$"),
    signing.WEBHOOK_SIGNATURE: (
        "Standard Webhooks: `v1,<base64 HMAC-SHA256(key, \"<webhook-id>.<webhook-timestamp>.<body>\")>`, "
        "space-separated, one per signing secret; the key is the base64-decoded part of the secret after `whsec_`",
        r"^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$"),
}


def headers_schema() -> Json:
    """The headers of every delivery. The webhook-* three come together, with every subscription
    whose secret is a Standard Webhooks one; one with only a legacy secret gets X-Fleetbridge-* alone."""
    always = _sent_headers("a legacy secret")  # not whsec_<base64>: signs X-Fleetbridge-Signature only
    every = _sent_headers(signing.new_secret())
    if set(every) != set(HEADER_DOCS):
        raise ValueError(f"describe the headers signing.headers() sends in HEADER_DOCS: {sorted(every)}")
    properties: Json = {}
    for name in every:
        description, pattern = HEADER_DOCS[name]
        checks: Json = {"minLength": 1, **({"pattern": pattern} if pattern else {})}
        if name in ("content-type", "user-agent"):
            checks = {"const": every[name]}
        properties[name] = {"type": "string", "description": description, **checks}
    standard = [name for name in every if name not in always]
    return {"type": "object", "description": "Names are case-insensitive (HTTP); listed in lower case.",
            "properties": properties, "required": list(always),
            "dependencies": {name: [other for other in standard if other != name] for name in standard}}


def _span(span: timedelta) -> str:
    """A duration as the description reads it: 3 days, 24 h, 1 min."""
    minutes = int(span.total_seconds()) // 60
    if minutes % 1440 == 0 and minutes >= 2 * 1440:
        return f"{minutes // 1440} days"
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def description() -> str:
    return f"""Fleetbridge POSTs these events, as JSON, to the URL a fleet admin subscribed \
(`POST /subscriptions`, in the API's openapi.json). One channel, the subscriber's URL; one message per event `type`.

- **Accepted**: any 2xx answer within {sender.TIMEOUT_SECONDS:g} s. Anything else is a failure, redirects \
included (a signed body is never re-sent to another address).
- **Retries**: a failed delivery is retried with exponential backoff ({_span(attempts.BASE_DELAY)} doubling \
to {_span(attempts.MAX_DELAY)}, with jitter) for {_span(attempts.RETRY_FOR)}; then it is listed as failed \
and can be redelivered, with the same id. Test deliveries are sent once. A subscription failing \
for {_span(attempts.PAUSE_AFTER)} in a row is paused.
- **Duplicates**: a delivery can arrive more than once (a retry after a lost answer, a redelivery): \
dedupe by `webhook-id` (or `X-Fleetbridge-Delivery`, the same id).
- **Order**: deliveries can arrive out of order. Order `status_changed` by `sequence`, per asset: \
drop one whose `sequence` is not greater than the last you applied.
- **Authenticity**: verify a signature (the security schemes) and reject a timestamp more than \
5 minutes from your clock before trusting a body.
"""


def security_schemes() -> Json:
    """AsyncAPI 3 has no scheme for a signed body; httpApiKey names the header, the description says
    it is an HMAC of the delivery, not a static key."""
    return {
        "standardWebhooks": {
            "type": "httpApiKey", "in": "header", "name": signing.WEBHOOK_SIGNATURE,
            "description": "Not a static key: a Standard Webhooks (https://www.standardwebhooks.com) HMAC-SHA256 "
                           "signature of webhook-id, webhook-timestamp and the body, keyed with the subscription's "
                           "`whsec_` secret (shown once by POST /subscriptions and rotate-secret). Verify it "
                           "with your language's Standard Webhooks package (Python: `standardwebhooks`).",
        },
        "fleetbridgeSignature": {
            "type": "httpApiKey", "in": "header", "name": signing.SIGNATURE_HEADER,
            "description": "Not a static key: our earlier HMAC-SHA256 signature of the timestamp, "
                           "X-Fleetbridge-Delivery and the body, keyed with the secret string; sent on every "
                           "delivery, and the only one for a subscription whose secret predates Standard Webhooks "
                           "(until it rotates its secret). README.md, \"Receiving pushes\", verifies it by hand.",
        },
    }


def messages(payloads: dict[str, Json]) -> Json:
    """One message per event type, named by its `type`, summed up by its model's docstring."""
    found: Json = {}
    for model in PUSH_EVENTS:
        name = event_type(model)
        summary = inspect.cleandoc(model.__doc__ or name).split("\n\n")[0].replace("\n", " ")
        found[name] = {"name": name, "title": model.__name__, "summary": summary, "contentType": "application/json",
                       "headers": {"$ref": SCHEMAS + HEADERS}, "payload": payloads[name]}
    return found


def document() -> Json:
    payloads, shared = payload_schemas()
    if HEADERS in shared:
        raise ValueError(f"a model is named {HEADERS}: rename it or HEADERS")
    names = list(payloads)
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Fleetbridge push deliveries", "version": API_VERSION, "description": description()},
        "defaultContentType": "application/json",
        "channels": {CHANNEL: {
            "address": "{" + CHANNEL + "}",
            "title": "The subscriber's URL",
            "description": "Each subscription of the fleet gets the events it chose (`events`: snapshot, "
                           "status_changed); verification and test deliveries go to it whatever it chose.",
            "parameters": {CHANNEL: {"description": "the https URL given to POST /subscriptions",
                                     "examples": ["https://example.com/fleetbridge/hook"]}},
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        }},
        "operations": {"deliver": {
            "action": "send",
            "title": "POST an event to the subscriber's URL",
            "channel": {"$ref": f"#/channels/{CHANNEL}"},
            "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/{name}"} for name in names],
            "security": [{"$ref": f"#/components/securitySchemes/{s}"} for s in security_schemes()],
            "bindings": {"http": {"method": "POST", "bindingVersion": "0.3.0"}},
        }},
        "components": {"schemas": {HEADERS: headers_schema(), **shared}, "messages": messages(payloads),
                       "securitySchemes": security_schemes()},
    }


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]  # PyYAML is untyped here (no types-PyYAML)
    """Block style for text of several lines; no anchors (&id001): every part reads where it is."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


def generate() -> str:
    return str(yaml.dump(document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120))


def main(argv: list[str]) -> int:
    text = generate()
    if "--check" in argv:
        if not ASYNCAPI_FILE.exists() or ASYNCAPI_FILE.read_text() != text:
            print("asyncapi.yaml is out of date: run `make openapi` and commit it", file=sys.stderr)
            return 1
        return 0
    ASYNCAPI_FILE.write_text(text)
    print(f"wrote {ASYNCAPI_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
