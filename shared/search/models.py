"""Finding each other: a fleet's vendor search by ZIP + radius, a vendor's fleet lookup by VIN (API bodies).

The stored side is the organization profile (shared/orgs/models.py OrgItem: lat/lng and the gsi1
geo keys of vendors) and the VIN claims (shared/assets/models.py VinClaimItem: gsi2 VIN#{vin}).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from shared.base_models import Model


class LiveConnection(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"


class VendorHit(Model):
    org_id: str
    name: str
    city: str
    state: str
    zip: str
    services_offered: list[str]
    partner_id: str | None = None
    distance_miles: float = Field(description="great-circle miles from the ZIP centroid, one decimal")
    connection: LiveConnection | None = Field(
        default=None, description="your fleet's live connection with this vendor, if any"
    )


class FleetMatch(Model):
    """A fleet running a VIN: its id and name, nothing else about the fleet or the asset."""

    org_id: str
    name: str
