"""Sites (attached to one customer for good), their pictures, and the services completed at them."""

from __future__ import annotations

from datetime import datetime

from shared.auth.principal import Principal
from shared.db.base import atomic, expect_version
from shared.db.keys import org_pk
from shared.db.pagination import Page
from shared.errors import NotFound, Unprocessable
from shared.ids import new_id, utc_now
from shared.portal.items import CustomerItem, SiteItem, SiteServiceItem
from shared.portal.setup import customers_dal, pictures, services_dal
from shared.portal.setup import sites_dal as dal
from shared.portal.setup.models import (
    PictureUpload,
    PictureUploadRequest,
    ServiceCreate,
    Site,
    SiteCreate,
    SiteService,
    SiteUpdate,
)


def get_item(caller: Principal, site_id: str) -> SiteItem:
    item = dal.get_site_item(caller.org_id, site_id)
    if item is None:
        raise NotFound(f"site {site_id} not found")
    return item


def create_site(caller: Principal, body: SiteCreate) -> Site:
    if customers_dal.get_customer_item(caller.org_id, body.customer_id) is None:
        raise Unprocessable.field("customer_id", f"no customer {body.customer_id} among your customers")
    now = utc_now()
    site_id = new_id("site")
    item = SiteItem(org_pk(caller.org_id), dal.site_sk(site_id), site_id=site_id, org_id=caller.org_id,
                    customer_id=body.customer_id, name=body.name, address=body.address.model_dump(mode="json"),
                    lat=body.lat, lng=body.lng, geofence=body.geofence.model_dump(mode="json"), picture_keys=[],
                    created_at=now, updated_at=now,
                    gsi1pk=dal.customer_sites_pk(caller.org_id, body.customer_id), gsi1sk=dal.site_sk(site_id))
    with atomic("the customer was removed meanwhile") as tx:
        tx.save(item, condition=SiteItem.pk.does_not_exist())
        tx.condition_check(CustomerItem, org_pk(caller.org_id), customers_dal.customer_sk(body.customer_id),
                           condition=CustomerItem.pk.exists())
    return dal.to_site(item)


def get_site(caller: Principal, site_id: str) -> Site:
    return dal.to_site(get_item(caller, site_id))


def list_sites(caller: Principal, customer_id: str | None, limit: int, cursor: str | None) -> Page[Site]:
    return dal.list_sites(caller.org_id, customer_id=customer_id, limit=limit, cursor=cursor)


def update_site(caller: Principal, site_id: str, body: SiteUpdate) -> Site:
    item = get_item(caller, site_id)
    expect_version(item, body.version, "site")
    if body.name is not None:
        item.name = body.name
    if body.address is not None:
        item.address = body.address.model_dump(mode="json")
    if body.lat is not None:
        item.lat = body.lat
    if body.lng is not None:
        item.lng = body.lng
    if body.geofence is not None:
        item.geofence = body.geofence.model_dump(mode="json")
    if body.picture_keys is not None:
        item.picture_keys = pictures.check_keys(caller.org_id, site_id, body.picture_keys, "picture_keys")
    item.updated_at = utc_now()
    with atomic("the site changed meanwhile; reload and try again") as tx:
        tx.save(item)
    return dal.to_site(item)


def picture_upload(caller: Principal, site_id: str, body: PictureUploadRequest) -> PictureUpload:
    """A presigned PUT for one new picture of the site, under the site's prefix."""
    get_item(caller, site_id)
    key = f"{pictures.site_prefix(caller.org_id, site_id)}{new_id('pic')}.{pictures.EXTENSIONS[body.content_type]}"
    return PictureUpload(key=key, upload_url=pictures.presigned_put(key, body.content_type),
                         expires_at=utc_now() + pictures.UPLOAD_TTL)


def record_service(caller: Principal, site_id: str, body: ServiceCreate) -> SiteService:
    site = get_item(caller, site_id)
    keys = pictures.check_keys(caller.org_id, site_id, body.picture_keys, "picture_keys")
    service_id = new_id("svc")
    item = SiteServiceItem(
        services_dal.services_pk(caller.org_id, site_id), services_dal.service_sk(body.completed_at, service_id),
        service_id=service_id, org_id=caller.org_id, site_id=site_id, customer_id=site.customer_id,
        service_name=body.service_name, service_name_folded=body.service_name.casefold(),
        completed_at=body.completed_at, vehicle=body.vehicle.model_dump(mode="json") if body.vehicle else None,
        picture_keys=keys, job=None, source="vendor", recorded_by=caller.user_id, recorded_at=utc_now())
    item.save(condition=SiteServiceItem.pk.does_not_exist())
    return services_dal.to_service(item)


def list_services(caller: Principal, site_id: str, start: datetime, end: datetime, limit: int,
                  cursor: str | None) -> Page[SiteService]:
    get_item(caller, site_id)
    return services_dal.list_services(caller.org_id, site_id, start, end, limit=limit, cursor=cursor)
