"""Demo Fleetrock integration for `make dev`: the demo fleet linked to the local Fleetrock stand-in.

`dev.run` starts the stand-in and calls `use()`; then seeding configures and activates the
integration through the same logic the API runs (GetToken over real HTTP, open repair orders
imported), and the stand-in sends a webhook for truck T-101's repair order RO-5001 (In Progress)
to the dev server in the bare form the evidence allows (a form body `ro_id=RO-5001`, signed in
base64): the dev server re-reads the order with GetRO, and `GET /dispatch/assets` shows T-101
In Shop, caused by RO-5001.
Without a stand-in (the seed test) nothing happens here.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dev.fleetrock_standin import FleetrockStandin
from shared.assets.models import Asset
from shared.auth.principal import Principal
from shared.fleetrock.integration import logic
from shared.fleetrock.integration.models import IntegrationCreate

USERNAME, API_KEY = "harbor-owner", "demo-fleetrock-api-key"
DEMO: dict[str, Any] = {}


def use(standin: FleetrockStandin, api_url: str) -> None:
    standin.add_account(USERNAME, API_KEY)
    DEMO.update(standin=standin, api_url=api_url)


def seed_fleetrock(fleet: Principal, trucks: list[Asset], trailers: list[Asset]) -> None:
    standin: FleetrockStandin | None = DEMO.get("standin")
    if standin is None:
        return
    for asset in trucks[:2]:  # in both systems: linked by VIN at activation
        standin.put_unit({"unit_number": asset.unit_number, "vin": asset.vin, "status": "Active"})
    standin.put_repair_order({"id": "RO-5000", "vin": trucks[1].vin, "unit_number": trucks[1].unit_number,
                              "unit_type": "Truck", "status": "Not Started", "priority_code": "3"})
    created = logic.configure(fleet, IntegrationCreate.model_validate({
        "login_url": standin.url, "username": USERNAME, "api_key": API_KEY, "default_group": "Fleetbridge"}))
    logic.activate(fleet, created.integration_id)
    url = f"{DEMO['api_url']}{created.webhook_path}"
    standin.add_webhook_target(url, created.webhook_secret, envelope="bare")
    DEMO.update(integration_id=created.integration_id, webhook_url=url, truck=trucks[0].unit_number,
                vin=trucks[0].vin, truck_id=trucks[0].asset_id)
    order = standin.put_repair_order({"id": "RO-5001", "vin": trucks[0].vin, "unit_number": trucks[0].unit_number,
                                      "unit_type": "Truck", "status": "In Progress", "priority_code": "1",
                                      "odometer_miles": 182_340, "engine_hours": 6_120, "vendor_name": "Harbor Shop",
                                      "tasks": [{"description": "Brake inspection", "labor_hours": 1.5, "parts": []}],
                                      "notes": [{"note": "Driver reports pulling left"}]})
    standin.notify("repair_order.updated", order)
    # Not Started: GetRO event=created (never seen in public code) is refused, so activation could not
    # find RO-5000; its webhook brings it (re-read by id)
    standin.notify("repair_order.created", standin.repair_orders["RO-5000"])
    item = standin.put_maintenance_item({
        "id": "SM-9001", "vin": trailers[0].vin, "unit_number": trailers[0].unit_number,
        "service": "Annual DOT inspection", "status": "Scheduled", "recurring": True, "interval_days": 365,
        "last_service_date": (date.today() - timedelta(days=358)).strftime("%m/%d/%Y")})
    standin.notify("scheduled_maintenance.updated", {"items": [item]})
