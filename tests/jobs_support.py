"""Test data for the jobs tests, built through the public API (and the partner invitation's own logic,
which hands the seed and tests the invite token instead of an email)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.auth.principal import Principal, Role
from shared.partners.logic import invite_partner
from shared.partners.models import PartnerInvite
from tests.conftest import ApiResponse, call_api
from tests.factories import Caller, add_user, create_asset, sign_up

CONFIG = {"apn": "iot.fleet", "report_interval_s": 30, "can_bus": True}


@dataclass(frozen=True)
class Setup:
    fleet: Caller
    vendor: Caller  # the partner's vendor admin
    technician: Caller  # a vendor user of the partner
    partner_id: str
    invitation_id: str


def principal(caller: Caller) -> Principal:
    return Principal(user_id=caller.user_id, email=caller.email, org_id=caller.org_id, role=Role(caller.role))


def make_partner(fleet: Caller, name: str = "Bay Installers", *, allow_override: bool = False) -> Setup:
    """A vendor that accepted the fleet's installation partner invitation."""
    vendor = sign_up("vendor", name)
    invited = invite_partner(principal(fleet), PartnerInvite(email=f"{vendor.user_id}@installs.example",
                                                             allow_override=allow_override))
    r = call_api("POST", "/partner-invitations/accept", as_user=vendor, json_body={"token": invited.token})
    assert r.status == 200, r.body
    record = r.json()
    return Setup(fleet, vendor, add_user(vendor, "vendor"), record["partner_id"], record["invitation_id"])


def setup(*, allow_override: bool = False) -> Setup:
    return make_partner(sign_up("fleet", "Harbor Freight"), allow_override=allow_override)


def job_body(asset: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"kind": "installation", "asset_id": asset["asset_id"], "title": "Install telematics box",
            "configuration": CONFIG, **fields}


def create_job(fleet: Caller, asset: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    r = call_api("POST", "/jobs", as_user=fleet, json_body=job_body(asset or create_asset(fleet), **fields))
    assert r.status == 201, r.body
    return dict(r.json())


def act(caller: Caller, job_id: str, action: str, **body: Any) -> ApiResponse:
    """A partner transition: start, succeed, fail (start and succeed without a body when there is nothing to say)."""
    return call_api("POST", f"/partner/jobs/{job_id}/{action}", as_user=caller, json_body=body or None)
