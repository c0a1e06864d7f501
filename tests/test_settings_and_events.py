"""Cold start fails fast on missing settings; every handler has sample events that run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from dev.apigw import LocalContext
from shared.api.catalog import API_HANDLERS, EVENT_HANDLERS, handler_for_path
from shared.settings import from_environment

ROOT = Path(__file__).resolve().parent.parent
EVENTS = sorted((ROOT / "events").glob("*.json"))


def test_missing_settings_fail_at_import_with_a_clear_message():
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "MAILER")}
    result = subprocess.run(
        [sys.executable, "-c", "import functions.assets.handler"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "invalid or missing settings" in result.stderr
    assert "TABLE_NAME (Field required)" in result.stderr and "MAILER (Field required)" in result.stderr


def test_settings_come_from_upper_case_variables_and_aliases():
    settings = from_environment({"TABLE_NAME": "t-1", "AWS_REGION": "us-east-1", "MAILER": "smtp",
                                 "MAIL_FROM": "ops@example.com", "SECRETS_CIPHER": "local", "SMTP_PORT": "2525",
                                 "LOCAL_SECRET_KEY": "k",
                                 "ALLOW_LOOPBACK_HTTP": "true", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
                                 "table_name": "ignored: lower case is not ours", "UNRELATED": "x"})
    assert (settings.table_name, settings.smtp_port, settings.allow_loopback_http) == ("t-1", 2525, True)
    assert settings.dynamodb_endpoint == "http://127.0.0.1:8000" and settings.kms_key_id is None
    with pytest.raises(ValidationError, match="smtp_port"):
        from_environment({"TABLE_NAME": "t-1", "AWS_REGION": "r", "MAILER": "smtp", "MAIL_FROM": "ops@example.com",
                          "SECRETS_CIPHER": "local", "SMTP_PORT": "not a port"})


AWS_SETTINGS = {"TABLE_NAME": "t-1", "AWS_REGION": "us-east-1", "MAILER": "ses", "MAIL_FROM": "ops@example.com",
                "SECRETS_CIPHER": "kms", "KMS_KEY_ID": "arn:aws:kms:us-east-1:1:key/k",
                "APP_BASE_URL": "https://app.example.com"}


@pytest.mark.parametrize(("change", "problem"), [
    ({"KMS_KEY_ID": None}, "SECRETS_CIPHER=kms needs KMS_KEY_ID"),
    ({"SECRETS_CIPHER": "local"}, "SECRETS_CIPHER=local needs LOCAL_SECRET_KEY"),
    ({"APP_BASE_URL": None}, "APP_BASE_URL must be the web app's https URL in AWS"),
    ({"APP_BASE_URL": "http://localhost:3000"}, "APP_BASE_URL must be the web app's https URL in AWS"),
    ({"ALLOW_LOOPBACK_HTTP": "true"}, "ALLOW_LOOPBACK_HTTP is for DynamoDB Local only"),
    ({"PORTAL_SIGNING_SECRET_ARN": "arn:s", "PORTAL_SIGNING_KEYS": "k1:x"}, "not both"),
])
def test_settings_that_need_each_other_are_refused_half_set(change, problem):
    assert from_environment(AWS_SETTINGS).app_base_url == "https://app.example.com"
    environ = {k: v for k, v in {**AWS_SETTINGS, **change}.items() if v is not None}
    with pytest.raises(ValidationError, match=problem):
        from_environment(environ)


def test_a_half_set_configuration_fails_at_import_saying_what_is_missing():
    env = {**{k: v for k, v in os.environ.items() if k != "LOCAL_SECRET_KEY"}}
    result = subprocess.run([sys.executable, "-c", "import functions.assets.handler"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "invalid or missing settings: Value error, SECRETS_CIPHER=local needs LOCAL_SECRET_KEY" in result.stderr


def test_only_a_local_process_gets_the_local_web_app_url_by_default():
    local = {**AWS_SETTINGS, "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}
    del local["APP_BASE_URL"]
    assert from_environment(local).app_base_url == "http://localhost:3000"


@pytest.mark.parametrize("handler", [*API_HANDLERS, *EVENT_HANDLERS])
def test_every_handler_has_a_sample_event(handler):
    assert [e for e in EVENTS if e.name.startswith(f"{handler}_")], f"events/{handler}_*.json is missing"


@pytest.mark.usefixtures("dynamodb")
@pytest.mark.parametrize(
    "path", [e for e in EVENTS if not e.name.startswith(tuple(f"{h}_" for h in EVENT_HANDLERS))], ids=lambda p: p.name
)
def test_api_sample_events_run_through_their_handler(path):
    import importlib

    event = json.loads(path.read_text())
    handler = importlib.import_module(f"functions.{handler_for_path(event['path'])}.handler")
    result = handler.lambda_handler(event, LocalContext())
    expected = {
        "assets_create_asset.json": 201,
        "organizations_sign_up.json": 201,
        "invitations_accept_invitation.json": 404,  # the sample invitation is not in the empty table
        "organizations_get_me.json": 404,
        "connections_create_team.json": 404,  # the sample fleet is not in the empty table (tests/test_teams.py)
        "customers_create_customer.json": 201,
        "portal_open_link.json": 401,  # a sample token that is not valid: the portal says why
        "portal_list_sites.json": 401,
        "subscriptions_create_subscription.json": 201,
        # the sample subscription is not in the empty table (tests/test_push_*.py run these routes for real)
        **{e.name: 404 for e in EVENTS if e.name.startswith("subscriptions_") and "psub_" in e.read_text()},
        "integrations_check_dispatch.json": 404,  # no such truck in an empty table
        "assets_list_asset_events.json": 404,  # no such asset in an empty table (tests/test_fleetrock_history.py)
        # signed for a sample integration the empty table lacks (tests/test_fleetrock_webhook.py runs them for real)
        **{e.name: 404 for e in EVENTS if e.name.startswith("fleetrock_webhook_")},
        # jobs: the sample ids, VIN and partner are not in the empty table (tests/test_jobs_*.py run these for real)
        **{e.name: 404 for e in EVENTS if e.name.startswith("jobs_") and "_01JEVENT" in e.read_text()},
        "jobs_create_job.json": 422,
        "jobs_import_jobs.json": 422,
        "jobs_create_template.json": 201,
        "jobs_bulk_jobs.json": 200,  # per job: not_found
    }.get(path.name, 200)
    assert result["statusCode"] == expected, result["body"]


@pytest.mark.parametrize("handler", [*API_HANDLERS, *EVENT_HANDLERS])
def test_a_handler_import_ends_with_the_collector_running_and_its_objects_frozen(handler):
    """functions/__init__.py pauses the garbage collector for the cold start; the handler's last line
    (shared.coldstart.initialized) must resume it, or the process would never collect a cycle."""
    probe = (f"import gc, functions.{handler}.handler\n"
             "assert gc.isenabled(), 'the garbage collector is still paused after the import'\n"
             "assert gc.get_freeze_count() > 10000, gc.get_freeze_count()\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-1500:]
