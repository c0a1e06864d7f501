"""Demo data for `make dev`: a fleet with trucks, trailers and two groups, a vendor, a user of every role.

Written through the same logic functions the API calls, so the seed obeys every rule (and the
welcome emails of the users it adds go out through the outbox, visible in the SMTP sink).
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from dev.fleetrock_seed import seed_fleetrock
from dev.jobs_seed import seed_jobs
from dev.portal_seed import seed_portal
from dev.push_seed import seed_push
from shared.assets.groups.logic import create_group
from shared.assets.groups.models import GroupCreate
from shared.assets.logic import create_asset
from shared.assets.models import AssetCreate, AssetKind
from shared.assets.vin import check_digit
from shared.auth.principal import Identity, OrgKind, Principal, Role
from shared.base_models import Address
from shared.connections import logic as connections
from shared.connections.grants import set_grant
from shared.connections.models import ConnectionRequest, GrantUpdate
from shared.invitations.logic import invite
from shared.invitations.models import InvitationCreate
from shared.orgs.logic import create_organization, create_user
from shared.orgs.models import OrganizationCreate, UserCreate
from shared.partners.logic import accept_invitation, invite_partner
from shared.partners.models import PartnerAccept, PartnerInvite
from shared.services.logic import create_service, decide, place_order, request_connection
from shared.services.models import OrderCreate, ServiceConnectionRequest, ServiceCreate


class SeededUser(BaseModel):
    user_id: str
    org_id: str
    role: Role
    email: str
    org_name: str
    added: bool = False  # by an admin (POST /users): the stream makes its Cognito account (shared/orgs/accounts.py)


def demo_vin(serial: int) -> str:
    body = f"1FUJGLDR0CL{serial:06d}"
    return body[:8] + check_digit(body) + body[9:]


def _org(kind: OrgKind, name: str, admin_id: str, email: str, address: Address, services: list[str]) -> Principal:
    me = create_organization(
        Identity(user_id=admin_id, email=email),
        OrganizationCreate(name=name, kind=kind, address=address, contact_email=email, services_offered=services),
        admin_name=f"{name} Admin",
    )
    return Principal(user_id=admin_id, email=email, org_id=me.organization.org_id, role=Role(me.user.role))


def seed_demo() -> list[SeededUser]:
    fleet = _org(OrgKind.FLEET, "Harbor Freight Lines", "usr_demo_fleet_admin", "admin@harborfreight.example",
                 Address(line1="100 Summer St", city="Boston", state="MA", zip="02110", lat=42.3554, lng=-71.0605), [])
    vendor = _org(OrgKind.VENDOR, "Bay State Truck Repair", "usr_demo_vendor_admin", "admin@baystate.example",
                  Address(line1="25 Depot Rd", city="Worcester", state="MA", zip="01604", lat=42.2626, lng=-71.8023),
                  ["preventive maintenance", "brakes", "telematics installation"])
    seeded = [
        SeededUser(user_id=fleet.user_id, org_id=fleet.org_id, role=fleet.role, email=str(fleet.email),
                   org_name="Harbor Freight Lines"),
        SeededUser(user_id=vendor.user_id, org_id=vendor.org_id, role=vendor.role, email=str(vendor.email),
                   org_name="Bay State Truck Repair"),
    ]
    for admin, role, org_name in (
        (fleet, Role.CUSTOMER, "Harbor Freight Lines"),
        (fleet, Role.MANAGER, "Harbor Freight Lines"),
        (vendor, Role.VENDOR, "Bay State Truck Repair"),
    ):
        email = f"{role.value}@{org_name.split()[0].lower()}.example"
        user = create_user(admin, UserCreate(email=email, name=f"Demo {role.value}", role=role))
        seeded.append(SeededUser(user_id=user.user_id, org_id=admin.org_id, role=role, email=email, org_name=org_name,
                                 added=True))

    trucks = [
        create_asset(fleet, AssetCreate(unit_number=f"T-{100 + i}", kind=AssetKind.TRUCK, vin=demo_vin(i),
                                        license_number=f"MA{4400 + i}", license_state="MA"))[0]
        for i in range(1, 5)
    ]
    trailers = [
        create_asset(fleet, AssetCreate(unit_number=f"TR-{200 + i}", kind=AssetKind.TRAILER, vin=demo_vin(100 + i)))[0]
        for i in range(1, 4)
    ]
    yard = create_group(fleet, GroupCreate(name="Boston yard",
                                           asset_ids=[a.asset_id for a in trucks[:2] + trailers[:2]]))
    create_group(fleet, GroupCreate(name="Long haul", asset_ids=[a.asset_id for a in trucks[2:] + trailers[2:]]))
    _seed_connection(fleet, vendor, yard.group_id)
    _seed_services_and_partners(fleet, vendor, trucks[0].asset_id)
    seed_jobs(fleet, vendor, [a.asset_id for a in trucks])  # jobs with the installation partner (jobs.md)
    seed_portal(vendor)  # the vendor's customer portal: customer, sites, services, a user with a link
    seed_fleetrock(fleet, trucks, trailers)  # Fleetrock linked through the stand-in (when dev.run started one)
    seed_push(fleet)  # an active push subscription to the local subscriber (when dev.run started one)
    return seeded


def _seed_connection(fleet: Principal, vendor: Principal, group_id: str) -> None:
    """The demo vendor connected to the demo fleet, which lets it see the Boston yard group."""
    connection, _ = connections.request_connection(
        fleet, ConnectionRequest(org_id=vendor.org_id, message="Can you take our Boston yard units?"))
    connections.accept(vendor, connection.connection_id)
    set_grant(fleet, connection.connection_id, GrantUpdate(group_ids=[group_id], version=0))


def _seed_services_and_partners(fleet: Principal, vendor: Principal, asset_id: str) -> None:
    """A fleet service with the demo vendor as accepted merchant and one order; the demo vendor as the
    fleet's installation partner (invited and accepted); a sign-up invitation of a shop not in the network."""
    service = create_service(fleet, ServiceCreate(name="Roadside repairs", description="Brakes and tires on call"))
    request, _ = request_connection(vendor, ServiceConnectionRequest(service_id=service.service_id))
    decide(fleet, request.connection_id, "accept")
    place_order(vendor, service.service_id,
                OrderCreate(description="Brake inspection", asset_id=asset_id, amount=Decimal("189.00")))
    invited = invite_partner(fleet, PartnerInvite(email="installs@baystate.example", allow_override=True))
    if invited.token:
        accept_invitation(vendor, PartnerAccept(token=invited.token))
    invite(fleet, InvitationCreate(email="owner@newshop.example", kind=OrgKind.VENDOR))
