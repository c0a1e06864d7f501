"""The vendor's portal set-up: customers, sites, completed services, customer users and their links."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from shared.api.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from shared.auth.permissions import Action, requires
from shared.auth.principal import Principal
from shared.db.pagination import Page
from shared.portal import ranges
from shared.portal.ranges import From, To, parse_when
from shared.portal.setup import customers, links, sites, users
from shared.portal.setup.models import (
    AccessEntry,
    Customer,
    CustomerCreate,
    CustomerUpdate,
    CustomerUser,
    CustomerUserCreate,
    CustomerUserUpdate,
    PictureUpload,
    PictureUploadRequest,
    PortalLinkIssued,
    ServiceCreate,
    Site,
    SiteCreate,
    SiteService,
    SiteUpdate,
)

router = Router()
Vendor = Annotated[Principal, Depends(requires(Action.PORTAL_MANAGE))]
CustomerId = Annotated[str, Path(max_length=64)]
SiteId = Annotated[str, Path(max_length=64)]
CustomerUserId = Annotated[str, Path(max_length=64)]
CustomerFilter = Annotated[str | None, Query(max_length=64, description="only this customer's")]


# -- customers -----------------------------------------------------------------------------------
@router.post("/customers", tags=["customers"], summary="Add a customer, with its portal permissions",
             responses={201: {"description": "created"}})
def create_customer(body: Annotated[CustomerCreate, Body()], caller: Vendor) -> tuple[Customer, int]:
    return customers.create_customer(caller, body), 201


@router.get("/customers", tags=["customers"], summary="List your customers")
def list_customers(caller: Vendor, limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[Customer]:
    return customers.list_customers(caller, limit, cursor)


@router.get("/customers/<customer_id>", tags=["customers"], summary="Get a customer")
def get_customer(customer_id: CustomerId, caller: Vendor) -> Customer:
    return customers.get_customer(caller, customer_id)


@router.patch("/customers/<customer_id>", tags=["customers"],
              summary="Change a customer: contact, portal permissions, primary customer")
def update_customer(customer_id: CustomerId, body: Annotated[CustomerUpdate, Body()], caller: Vendor) -> Customer:
    return customers.update_customer(caller, customer_id, body)


# -- sites ---------------------------------------------------------------------------------------
@router.post("/sites", tags=["sites"], summary="Add a site of a customer: address, lat/lng, geofence",
             responses={201: {"description": "created"}})
def create_site(body: Annotated[SiteCreate, Body()], caller: Vendor) -> tuple[Site, int]:
    return sites.create_site(caller, body), 201


@router.get("/sites", tags=["sites"], summary="List your sites (or one customer's)")
def list_sites(caller: Vendor, customer_id: CustomerFilter = None, limit: Limit = DEFAULT_PAGE_SIZE,
               cursor: Cursor = None) -> Page[Site]:
    return sites.list_sites(caller, customer_id, limit, cursor)


@router.get("/sites/<site_id>", tags=["sites"], summary="Get a site")
def get_site(site_id: SiteId, caller: Vendor) -> Site:
    return sites.get_site(caller, site_id)


@router.patch("/sites/<site_id>", tags=["sites"], summary="Change a site (its customer stays), its pictures")
def update_site(site_id: SiteId, body: Annotated[SiteUpdate, Body()], caller: Vendor) -> Site:
    return sites.update_site(caller, site_id, body)


@router.post("/sites/<site_id>/picture-uploads", tags=["sites"],
             summary="Get a presigned upload for one picture of the site",
             responses={201: {"description": "created"}})
def create_picture_upload(site_id: SiteId, body: Annotated[PictureUploadRequest, Body()],
                          caller: Vendor) -> tuple[PictureUpload, int]:
    return sites.picture_upload(caller, site_id, body), 201


@router.post("/sites/<site_id>/services", tags=["sites"], summary="Record a service completed at the site",
             responses={201: {"description": "recorded"}})
def record_service(site_id: SiteId, body: Annotated[ServiceCreate, Body()], caller: Vendor) -> tuple[SiteService, int]:
    return sites.record_service(caller, site_id, body), 201


@router.get("/sites/<site_id>/services", tags=["sites"], summary="The services completed at a site, newest first")
def list_services(site_id: SiteId, caller: Vendor, from_: From = None, to: To = None,
                  limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> Page[SiteService]:
    start, end = ranges.date_range(parse_when(from_, "from"), parse_when(to, "to", end_of_day=True))
    return sites.list_services(caller, site_id, start, end, limit, cursor)


# -- customer users and their portal links -------------------------------------------------------
@router.post("/customer-users", tags=["customer-users"],
             summary="Add a customer user with the sites it sees (existing links then need a refresh)",
             responses={201: {"description": "created"}})
def create_customer_user(body: Annotated[CustomerUserCreate, Body()], caller: Vendor) -> tuple[CustomerUser, int]:
    return users.create_user(caller, body), 201


@router.get("/customer-users", tags=["customer-users"], summary="List customer users and their links' state")
def list_customer_users(caller: Vendor, customer_id: CustomerFilter = None, limit: Limit = DEFAULT_PAGE_SIZE,
                        cursor: Cursor = None) -> Page[CustomerUser]:
    return users.list_users(caller, customer_id, limit, cursor)


@router.get("/customer-users/<customer_user_id>", tags=["customer-users"],
            summary="Get a customer user: sites, link state, when the link was last used")
def get_customer_user(customer_user_id: CustomerUserId, caller: Vendor) -> CustomerUser:
    return users.get_user(caller, customer_user_id)


@router.patch("/customer-users/<customer_user_id>", tags=["customer-users"],
              summary="Change a customer user: name, email, sites")
def update_customer_user(customer_user_id: CustomerUserId, body: Annotated[CustomerUserUpdate, Body()],
                         caller: Vendor) -> CustomerUser:
    return users.update_user(caller, customer_user_id, body)


@router.post("/customer-users/<customer_user_id>/portal-link", tags=["customer-users"],
             summary="Enable login via link: issues a link valid 6 months; after a disable, the same link again "
                     "until its expiry (a new one once it has expired)",
             responses={201: {"description": "link issued"}})
def enable_portal_link(customer_user_id: CustomerUserId, caller: Vendor) -> tuple[PortalLinkIssued, int]:
    return links.enable(caller, customer_user_id), 201


@router.post("/customer-users/<customer_user_id>/portal-link/refresh", tags=["customer-users"],
             summary="Issue a new link; the old one stops working at once",
             responses={201: {"description": "link issued"}})
def refresh_portal_link(customer_user_id: CustomerUserId, caller: Vendor) -> tuple[PortalLinkIssued, int]:
    return links.refresh(caller, customer_user_id), 201


@router.delete("/customer-users/<customer_user_id>/portal-link", tags=["customer-users"],
               summary="Disable the link (and its sessions) at once")
def disable_portal_link(customer_user_id: CustomerUserId, caller: Vendor) -> tuple[None, int]:
    links.disable(caller, customer_user_id)
    return None, 204


@router.get("/customer-users/<customer_user_id>/access-log", tags=["customer-users"],
            summary="Every link exchange and portal view of the user, newest first")
def list_access_log(customer_user_id: CustomerUserId, caller: Vendor, limit: Limit = DEFAULT_PAGE_SIZE,
                    cursor: Cursor = None) -> Page[AccessEntry]:
    return links.access_log(caller, customer_user_id, limit, cursor)
