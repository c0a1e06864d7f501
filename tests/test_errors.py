"""Client mistakes get a 4xx with {"error": {code, message, details}}, never a 5xx."""

from __future__ import annotations

import pytest

from tests.conftest import call_api
from tests.factories import create_asset, sign_up

pytestmark = pytest.mark.usefixtures("dynamodb")


@pytest.fixture
def admin():
    return sign_up("fleet")


def assert_error(r, status: int, code: str) -> dict:
    assert r.status == status, r.body
    assert r.headers.get("Content-Type", "").startswith("application/json")
    error = r.json()["error"]
    assert error["code"] == code and error["message"] and isinstance(error["details"], list)
    return error


def test_malformed_json_is_400(admin):
    assert_error(call_api("POST", "/assets", as_user=admin, raw_body='{"unit_number": '), 400, "malformed_json")


def test_json_nested_past_the_parsers_limit_is_400(admin):
    body = '{"unit_number": ' + "[" * 5000 + "]" * 5000 + "}"
    r = assert_error(call_api("POST", "/assets", as_user=admin, raw_body=body), 400, "malformed_json")
    assert "nested too deeply" in r["message"]
    long_number = call_api("POST", "/assets", as_user=admin, raw_body='{"unit_number": ' + "9" * 5000 + "}")
    assert_error(long_number, 400, "malformed_json")  # a number json.loads will not convert


def test_wrong_types_are_422_per_field(admin):
    r = call_api("POST", "/assets", as_user=admin,
                 json_body={"unit_number": 12, "kind": "boat", "vin": ["x"], "group_ids": "g"})
    fields = {d["field"] for d in assert_error(r, 422, "validation_error")["details"]}
    assert {"unit_number", "kind", "vin", "group_ids"} <= fields


def test_unknown_fields_are_422(admin):
    asset = create_asset(admin)
    r = call_api("PATCH", f"/assets/{asset['asset_id']}", as_user=admin, json_body={"version": 1, "colour": "red"})
    assert assert_error(r, 422, "validation_error")["details"][0]["field"] == "colour"


def test_missing_body_is_422(admin):
    r = call_api("POST", "/groups", as_user=admin)
    assert_error(r, 422, "validation_error")


def test_body_not_an_object_is_422(admin):
    assert_error(call_api("POST", "/groups", as_user=admin, raw_body="[1, 2]"), 422, "validation_error")


def test_oversize_body_is_413(admin):
    r = call_api("POST", "/groups", as_user=admin, raw_body='{"name": "' + "x" * 300_000 + '"}')
    assert_error(r, 413, "payload_too_large")


def test_bad_query_values_are_422(admin):
    r = call_api("GET", "/assets", as_user=admin, query={"limit": "0", "status": "scrapped"})
    fields = {d["field"] for d in assert_error(r, 422, "validation_error")["details"]}
    assert fields == {"limit", "status"}


def test_unknown_route_is_404(admin):
    assert_error(call_api("GET", "/assets/a/b/c", as_user=admin), 404, "not_found")


def test_unknown_object_is_404(admin):
    assert_error(call_api("GET", "/assets/ast_missing", as_user=admin), 404, "not_found")


def test_no_credentials_is_401():
    assert_error(call_api("GET", "/assets"), 401, "unauthenticated")


def test_form_encoded_body_is_415_saying_what_to_send(admin):
    r = call_api("POST", "/groups", as_user=admin, raw_body='{"name": "G"}',
                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert "Content-Type: application/json" in assert_error(r, 415, "unsupported_media_type")["message"]
    r = call_api("POST", "/groups", as_user=admin, raw_body='{"name": "G"}',
                 headers={"content-type": "application/json; charset=utf-8"})
    assert r.status == 201
