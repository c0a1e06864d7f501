"""Fleet services, merchants' connections to them, and the orders merchants record: items and API bodies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, StringConstraints
from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute

from shared.base_models import Email, Model, Name, RequestBody, StoredModel, Version, VersionedUpdate
from shared.db.base import TableItem

SERVICE_ID_PREFIX = "SVC-"
Description = Annotated[str, StringConstraints(max_length=500, strip_whitespace=True)]


def normalize_service_id(value: Any) -> Any:
    """People type service IDs: any case, spaces around, with or without the SVC- prefix."""
    if not isinstance(value, str):
        return value
    code = value.strip().upper()
    return code if code.startswith(SERVICE_ID_PREFIX) else SERVICE_ID_PREFIX + code


ServiceId = Annotated[
    str,
    BeforeValidator(normalize_service_id),
    StringConstraints(pattern=r"^SVC-[A-Z0-9]{5}$"),
    Field(description="the service ID the fleet shared, e.g. SVC-4K9P2", examples=["SVC-4K9P2"]),
]
# money: exact, two decimal places, sent back as a string ("12.50") so no client rounds it through a float
Amount = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, description="amount, 2 decimal places, e.g. 149.90"),
]
AmountOut = Annotated[Decimal, PlainSerializer(lambda d: f"{d:.2f}", return_type=str)]


class ServiceConnectionStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REVOKED = "revoked"


# -- stored items --------------------------------------------------------------------------------
class ServiceItem(TableItem, discriminator="service"):
    """pk=ORG#{fleet_id}, sk=SERVICE#{service_id}; the ClaimItem SERVICE#{service_id} makes the ID unique
    and says which fleet has it (merchants know only the ID)."""

    service_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    deactivated_at = UTCDateTimeAttribute(null=True)  # set: takes no new merchant requests
    version = VersionAttribute()


class ServiceConnectionItem(TableItem, discriminator="service_connection"):
    """pk=SVCCONN#{connection_id}, sk=SVCCONN.

    gsi1: ORG#{fleet_id}#SVCCONNS / {status}#{connection_id}; gsi2: ORG#{merchant_id}#SVCCONNS / same.
    While pending or accepted, the ClaimItem SVCPAIR#{service_id}#{merchant_id} holds its id.
    """

    connection_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    service_name = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    fleet_name = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    merchant_name = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    status = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class ServiceOrderItem(TableItem, discriminator="service_order"):
    """pk=SERVICE#{service_id}#ORDERS, sk=ORDER#{order_id}; gsi1: ORG#{merchant_id}#SERVICE#{service_id}#ORDERS /
    ORDER#{order_id} (a merchant's own orders on the service)."""

    order_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    fleet_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    merchant_name = UnicodeAttribute()
    connection_id = UnicodeAttribute()
    description = UnicodeAttribute()
    asset_id = UnicodeAttribute(null=True)
    amount = UnicodeAttribute()  # a decimal string: exact, never a float
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


# -- API bodies ----------------------------------------------------------------------------------
class ServiceCreate(RequestBody):
    name: Name
    description: Description | None = None


class ServiceUpdate(VersionedUpdate):
    not_null = ("name",)
    name: Name | None = None
    description: Description | None = None


class Service(StoredModel):
    service_id: str = Field(description="short and shareable: merchants connect with it")
    org_id: str
    name: str
    description: str | None = None
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None = Field(default=None, description="set: the service takes no new merchant "
                                            "requests; merchants already accepted keep ordering until revoked")
    version: Version


class ServiceGuide(Model):
    """What a merchant needs to connect to a fleet's service: the ID and the steps."""

    service_id: str
    service_name: str
    fleet_name: str
    accepting_requests: bool
    steps: list[str]


class GuideSend(RequestBody):
    email: Email = Field(description="the merchant's address")
    note: Annotated[str, StringConstraints(max_length=1000)] | None = Field(default=None,
                                                                           description="a line of your own")


class ServiceConnectionRequest(RequestBody):
    service_id: ServiceId


class ServiceConnection(StoredModel):
    connection_id: str
    service_id: str
    service_name: str
    fleet_id: str
    fleet_name: str
    merchant_id: str
    merchant_name: str
    status: ServiceConnectionStatus
    created_at: datetime
    updated_at: datetime
    version: Version


class OrderCreate(RequestBody):
    description: Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]
    asset_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="an asset of the service's fleet")
    amount: Amount


class Order(StoredModel):
    order_id: str
    service_id: str
    fleet_id: str
    merchant_id: str
    merchant_name: str
    connection_id: str
    description: str
    asset_id: str | None = None
    amount: AmountOut
    created_by: str
    created_at: datetime
