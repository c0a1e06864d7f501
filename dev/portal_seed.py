"""Demo customer-portal data for `make dev`: the demo vendor's customer, two sites, services, a user with a link.

Written through the portal's logic functions, as the API would. The link token is kept in DEMO so
the dev banner can print a portal session command that works.
"""

from __future__ import annotations

from datetime import timedelta

from shared.auth.principal import Principal
from shared.base_models import Address
from shared.ids import utc_now
from shared.portal.setup import customers, links, sites, users
from shared.portal.setup.models import (
    CustomerCreate,
    CustomerUserCreate,
    LatLng,
    PolygonGeofence,
    PortalPermissions,
    RadiusGeofence,
    ServiceCreate,
    SiteCreate,
    VehicleRef,
)

DEMO: dict[str, str] = {}  # "link_token": the demo customer user's portal link token


def seed_portal(vendor: Principal) -> str:
    """Returns the demo customer user's link token."""
    everything = PortalPermissions(**dict.fromkeys(PortalPermissions.model_fields, True))
    customer = customers.create_customer(vendor, CustomerCreate(
        name="Harborview Apartments", contact_email="facilities@harborview.example", permissions=everything))
    address = Address(line1="1 Harborview Way", city="Boston", state="MA", zip="02127", lat=42.3376, lng=-71.0447)
    north = sites.create_site(vendor, SiteCreate(
        customer_id=customer.customer_id, name="North lot", address=address, lat=42.3380, lng=-71.0450,
        geofence=RadiusGeofence(kind="radius", radius_m=120)))
    garage = sites.create_site(vendor, SiteCreate(
        customer_id=customer.customer_id, name="South garage", address=address, lat=42.3370, lng=-71.0440,
        geofence=PolygonGeofence(kind="polygon", points=[LatLng(lat=42.3372, lng=-71.0445),
                                                         LatLng(lat=42.3372, lng=-71.0435),
                                                         LatLng(lat=42.3366, lng=-71.0440)])))
    now = utc_now()
    sites.record_service(vendor, north.site_id, ServiceCreate(
        service_name="Pressure wash", completed_at=now - timedelta(days=3), vehicle=VehicleRef(unit_number="T-101")))
    sites.record_service(vendor, garage.site_id, ServiceCreate(
        service_name="Snow removal", completed_at=now - timedelta(days=12), vehicle=VehicleRef(unit_number="T-102")))
    user = users.create_user(vendor, CustomerUserCreate(
        customer_id=customer.customer_id, name="Dana Reyes", email="dana@harborview.example",
        site_ids=[north.site_id, garage.site_id]))
    DEMO["link_token"] = links.enable(vendor, user.customer_user_id).token
    return DEMO["link_token"]
