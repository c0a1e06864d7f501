"""The customer's view: its sites on a map, and what was done at one of them, as permitted.

Which sites a customer user sees: the sites the vendor chose for it (all of its own customer),
plus, when its customer is a primary customer, every site of the customers under it. Any other
site id is 404, whoever owns it. The viewer's own customer's permissions apply throughout.
"""

from __future__ import annotations

from datetime import datetime

from shared.base_models import Address
from shared.errors import Forbidden, NotFound
from shared.ids import utc_now
from shared.portal.items import SiteItem, SiteServiceItem
from shared.portal.setup import customers_dal, pictures, services_dal, sites_dal
from shared.portal.setup.models import VehicleRef
from shared.portal.view.models import (
    MapSite,
    MapSites,
    PictureUrl,
    PortalJobRef,
    ServiceView,
    SiteDetail,
    VehicleVisit,
)
from shared.portal.view.session import PortalCaller

MAX_SERVICES = 200


def _service_filter(caller: PortalCaller, service: str | None) -> str | None:
    if service and not caller.permissions.can_filter_geofence_by_service:
        raise Forbidden("your portal does not offer filtering by service; ask your service provider")
    return service or None


def visible_sites(caller: PortalCaller) -> list[SiteItem]:
    own = sites_dal.get_site_items(caller.org_id, caller.user.site_ids or [])
    sites = [s for s in own.values() if s.customer_id == caller.customer_id]
    for customer_id in customers_dal.sub_customer_ids(caller.org_id, caller.customer_id):
        sites += sites_dal.all_customer_sites(caller.org_id, customer_id)
    return sorted(sites, key=lambda s: (s.name.casefold(), s.site_id))


def visible_site(caller: PortalCaller, site_id: str) -> SiteItem:
    site = sites_dal.get_site_item(caller.org_id, site_id)
    if site is not None:
        if site.customer_id == caller.customer_id and site_id in (caller.user.site_ids or []):
            return site
        owner = customers_dal.get_customer_item(caller.org_id, site.customer_id)
        if site.customer_id != caller.customer_id and owner and owner.primary_customer_id == caller.customer_id:
            return site
    raise NotFound("no such site among the sites your portal shows")


def map_sites(caller: PortalCaller, start: datetime, end: datetime, service: str | None) -> MapSites:
    name = _service_filter(caller, service)
    items = [
        MapSite(site_id=s.site_id, name=s.name, lat=float(s.lat), lng=float(s.lng), geofence=s.geofence,
                serviced=bool(services_dal.services_in_range(caller.org_id, s.site_id, start, end, name, limit=1)))
        for s in visible_sites(caller)
    ]
    return MapSites(range_from=start, range_to=end, service=name, sites=items)


def _pictures(caller: PortalCaller, site_id: str, keys: list[str] | None, now: datetime) -> list[PictureUrl]:
    return [PictureUrl(url=url, expires_at=exp)
            for url, exp in pictures.presigned_get(caller.org_id, site_id, list(keys or []), now)]


def _service_view(caller: PortalCaller, item: SiteServiceItem, now: datetime) -> ServiceView:
    allowed = caller.permissions
    fields: dict[str, object] = {"service_id": item.service_id, "completed_at": item.completed_at}
    if allowed.can_view_service_name:
        fields["service_name"] = item.service_name
    if allowed.can_view_service_pictures:
        fields["pictures"] = _pictures(caller, item.site_id, item.picture_keys, now)
    if allowed.can_view_jobs:  # null for a service the vendor recorded by hand
        job = {k: v for k, v in (item.job or {}).items() if k != "title" or allowed.can_view_service_name}
        fields["job"] = PortalJobRef.model_validate(job) if item.job else None
    return ServiceView.model_validate(fields)


def site_detail(caller: PortalCaller, site_id: str, start: datetime, end: datetime, service: str | None) -> SiteDetail:
    name = _service_filter(caller, service)
    site = visible_site(caller, site_id)
    services = services_dal.services_in_range(caller.org_id, site_id, start, end, name, limit=MAX_SERVICES)
    now = utc_now()
    allowed = caller.permissions
    fields: dict[str, object] = {
        "site_id": site.site_id, "name": site.name, "address": Address.model_validate(site.address),
        "lat": float(site.lat), "lng": float(site.lng), "geofence": site.geofence, "range_from": start,
        "range_to": end, "serviced": bool(services), "services": [_service_view(caller, s, now) for s in services],
    }
    if allowed.can_view_vehicle_site_visits:
        fields["vehicle_visits"] = [VehicleVisit(vehicle=VehicleRef.model_validate(s.vehicle), at=s.completed_at)
                                    for s in services if s.vehicle]
    if allowed.can_view_site_pictures:
        fields["site_pictures"] = _pictures(caller, site_id, site.picture_keys, now)
    return SiteDetail.model_validate(fields)
