"""Cold start fails fast on missing settings; every handler has sample events that run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dev.apigw import LocalContext
from shared.api.catalog import API_HANDLERS, EVENT_HANDLERS, handler_for_path

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
    assert "table_name" in result.stderr and "mailer" in result.stderr


@pytest.mark.parametrize("handler", [*API_HANDLERS, *EVENT_HANDLERS])
def test_every_handler_has_a_sample_event(handler):
    assert [e for e in EVENTS if e.name.startswith(f"{handler}_")], f"events/{handler}_*.json is missing"


@pytest.mark.usefixtures("dynamodb")
@pytest.mark.parametrize(
    "path", [e for e in EVENTS if not e.name.startswith("stream_processor_")], ids=lambda p: p.name
)
def test_api_sample_events_run_through_their_handler(path):
    import importlib

    event = json.loads(path.read_text())
    handler = importlib.import_module(f"functions.{handler_for_path(event['path'])}.handler")
    result = handler.lambda_handler(event, LocalContext())
    expected = {
        "assets_create_asset.json": 201,
        "organizations_sign_up.json": 201,
        "organizations_get_me.json": 404,
    }.get(path.name, 200)
    assert result["statusCode"] == expected, result["body"]
