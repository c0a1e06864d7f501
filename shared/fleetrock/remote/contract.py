"""What we rely on of Fleetrock, in one place: our client, the webhook intake and the stand-in read it.

docs/fleetrock-contract.md says where each entry comes from (a vendor's page, a public client, or
our assumption), how sure we are, and what our code does when it is wrong; its JSON block is
this module's CONTRACT, and a test fails when the two drift (`python -m dev.fleetrock_contract`
writes the block anew).
"""

from __future__ import annotations

from typing import Any

API_PATH = "/API"  # the tenant's login URL + /API (seen in public clients)

# GetRO?username=&token=&event=E&start=&end= : the events public clients pass (never `created`)
GETRO_EVENTS = ("started", "finished", "invoiced")
# tried at activation and in the reconcile to find Not Started orders; a refusal or an empty answer
# is recorded on the integration and changes nothing else (never seen in public code)
GETRO_UNSEEN_EVENTS = ("created",)
GETRO_WINDOW = "calendar month"  # a pipeline: "We can only download 1 month at a time"
GETRO_MAX_WINDOW_DAYS = 31
# start/end: ISO 8601 in UTC, as Business Central's Format(DateTime, 0, 9) writes them (without its fraction)
GETRO_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
GETRO_BY_ID_PARAM = "id"  # lower case as two public clients pass it (a third passes ID=; assumed case-blind)

# Repair-order statuses (Fleetrock's help) and the fields we read of a repair order (a pipeline's list)
RO_STATUSES = ("Not Started", "Waiting", "In Progress", "Finished", "Invoiced", "Paid", "Deleted")
RO_FIELDS = (
    "id", "group", "vin", "unit_number", "unit_type", "custom_asset_id", "vendor_name", "customer_name",
    "odometer_miles", "engine_hours", "priority_code", "status", "date_created", "date_started",
    "date_expected_finish", "date_finished", "date_invoiced", "date_invoice_paid", "tasks", "notes",
)
RO_DATE_FIELDS = ("date_created", "date_started", "date_expected_finish", "date_finished", "date_invoiced",
                  "date_invoice_paid")
# the date forms we accept; a time without a zone is read in the integration's time zone (default UTC)
DATE_FORMATS = (
    "ISO 8601 (date, or date-time with or without a zone)",
    "MM/DD/YYYY", "MM/DD/YYYY hh:mm", "MM/DD/YYYY hh:mm:ss", "MM/DD/YYYY hh:mm AM|PM", "MM/DD/YYYY hh:mm:ss AM|PM",
)
DEFAULT_TIME_ZONE = "UTC"  # the Business Central client labels Fleetrock's dates UTC

# Scheduled maintenance (Fleetrock's help; a pipeline's field names): only webhooks carry it
SM_STATUSES = ("Scheduled", "Repair Order", "Deleted")
SM_FIELDS = (
    "id", "vin", "unit_number", "service", "status", "recurring", "interval_days", "interval_miles",
    "interval_engine_hours", "last_service_date", "last_service_miles", "last_service_engine_hours",
    "became_due_datetime", "ro_number",
)
# a pipeline's column names for the same fields (docs/fleetrock-contract.md S9): read as ours
SM_FIELD_ALIASES = {
    "scheduled_days": "interval_days", "scheduled_miles": "interval_miles",
    "scheduled_engine_hours": "interval_engine_hours", "is_recurring": "recurring", "start_date": "last_service_date",
    "start_miles": "last_service_miles", "start_engine_hours": "last_service_engine_hours",
}
SM_NO_ORDER = ("", "0")  # the pipeline's ro_number 0: no repair order

# Webhooks: nothing public. Where we look for the signature, the repair-order id, the event name
SIGNATURE_HEADERS = ("X-Fleetrock-Signature", "X-Signature", "X-Hub-Signature-256", "X-Webhook-Signature",
                     "Signature")
SIGNATURE_ENCODINGS = ("hex", "base64")  # of HMAC-SHA256(secret, raw body), with or without "sha256="
WEBHOOK_CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded")
RO_ID_PATHS = ("id", "ro_id", "repair_order_id", "data.id", "data.ro_id", "data.repair_order_id",
               "repair_order.id", "data.repair_order.id")
EVENT_NAME_KEYS = ("event", "event_type", "type")
EVENT_ID_KEYS = ("event_id", "webhook_id", "delivery_id")
SENT_AT_KEYS = ("sent_at", "timestamp", "created_at")

# Units: GetUnits is seen; AddUnit / UpdateUnit and their field names are assumed
UNIT_CALLS_SEEN = ("GetUnits",)
UNIT_CALLS_ASSUMED = ("AddUnit", "UpdateUnit")
# our asset field -> the unit field we send (assumed: shaped like GetUnits' answer)
UNIT_FIELD_MAP = {
    "unit_number": "unit_number",
    "vin": "vin",
    "kind": "unit_type",
    "license_number": "license_plate_number",
    "license_state": "license_plate_state",
    "license_expiration": "license_plate_expiration",
    "status": "status",
    "default_group": "group",
}
THROTTLE_STATUSES = (403, 429)  # "throttling may appear as 403": retried with backoff

CONTRACT: dict[str, Any] = {
    "api_path": API_PATH,
    "getro": {"events": list(GETRO_EVENTS), "unseen_events_tried": list(GETRO_UNSEEN_EVENTS),
              "window": GETRO_WINDOW, "max_window_days": GETRO_MAX_WINDOW_DAYS,
              "datetime_format": GETRO_DATETIME_FORMAT, "by_id_param": GETRO_BY_ID_PARAM},
    "repair_order": {"statuses": list(RO_STATUSES), "fields": list(RO_FIELDS), "date_fields": list(RO_DATE_FIELDS)},
    "dates": {"formats": list(DATE_FORMATS), "default_time_zone": DEFAULT_TIME_ZONE},
    "scheduled_maintenance": {"statuses": list(SM_STATUSES), "fields": list(SM_FIELDS),
                              "field_aliases": SM_FIELD_ALIASES, "no_order_numbers": list(SM_NO_ORDER)},
    "webhook": {"signature_headers": list(SIGNATURE_HEADERS), "signature_encodings": list(SIGNATURE_ENCODINGS),
                "content_types": list(WEBHOOK_CONTENT_TYPES), "ro_id_paths": list(RO_ID_PATHS),
                "event_name_keys": list(EVENT_NAME_KEYS), "event_id_keys": list(EVENT_ID_KEYS),
                "sent_at_keys": list(SENT_AT_KEYS)},
    "units": {"seen": list(UNIT_CALLS_SEEN), "assumed": list(UNIT_CALLS_ASSUMED), "field_map": UNIT_FIELD_MAP},
    "throttle_statuses": list(THROTTLE_STATUSES),
}
