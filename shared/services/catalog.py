"""A fleet's services over their life: the first one at sign-up, rename, deactivate and reactivate, and
the connection guide a fleet sends its merchants ("each fleet possesses at least one service ID").

Deactivating a service stops new merchant requests (they get a 409 naming it); merchants already
accepted keep ordering until the fleet revokes them, one by one: turning a shared ID off must not cut
off the merchants who work with the fleet today without anyone deciding it for each of them.
"""

from __future__ import annotations

from typing import Any

from pynamodb.expressions.update import Action

from shared.audit.public import add_audit_event
from shared.auth.principal import Identity, Principal
from shared.db.base import atomic
from shared.errors import Conflict, NotFound
from shared.ids import utc_now
from shared.observability import logger
from shared.orgs.public import get_org_item
from shared.outbox.public import add_email
from shared.services import dal
from shared.services.logic import add_service
from shared.services.models import GuideSend, Service, ServiceCreate, ServiceGuide, ServiceItem, ServiceUpdate

FIRST_SERVICE_NAME = "Main service"
SYSTEM = Identity(user_id="system:services")
CHANGED = "the service was changed by someone else; reload it and try again"


def _own(caller: Principal, service_id: str) -> ServiceItem:
    item = dal.get_service_item(caller.org_id, service_id.strip().upper())
    if item is None:
        raise NotFound(f"service {service_id} not found")
    return item


def first_service_record(image: dict[str, Any]) -> None:
    """Stream work on an organization's INSERT: a new fleet gets its first service. Idempotent: a claim
    per fleet says it was given one (a redelivered record, or a retry, finds it)."""
    if image.get("kind") != "fleet" or image.get("sk") != "PROFILE":
        return
    fleet_id = str(image["org_id"])
    try:
        add_service(SYSTEM, fleet_id, ServiceCreate(name=FIRST_SERVICE_NAME), first=True)
    except Conflict:
        if not dal.first_service_given(fleet_id):
            raise  # the stream retries


def update_service(caller: Principal, service_id: str, body: ServiceUpdate) -> Service:
    item = _own(caller, service_id)
    if item.version != body.version:
        raise Conflict(CHANGED)
    before = dal.to_service(item)
    actions: list[Action] = [ServiceItem.updated_at.set(utc_now())]
    if body.name is not None:
        item.name = body.name
        actions.append(ServiceItem.name.set(body.name))
    if "description" in body.model_fields_set:
        item.description = body.description
        actions.append(ServiceItem.description.set(body.description) if body.description
                       else ServiceItem.description.remove())
    return _write(caller, item, actions, "service.updated", before)


def set_active(caller: Principal, service_id: str, active: bool) -> Service:
    """Deactivate (no new merchant requests) or reactivate; doing it twice changes nothing."""
    item = _own(caller, service_id)
    if (item.deactivated_at is None) == active:
        return dal.to_service(item)
    before, now = dal.to_service(item), utc_now()
    item.deactivated_at = None if active else now
    actions: list[Action] = [ServiceItem.updated_at.set(now),
                             ServiceItem.deactivated_at.remove() if active else ServiceItem.deactivated_at.set(now)]
    return _write(caller, item, actions, "service.reactivated" if active else "service.deactivated", before)


def _write(caller: Principal, item: ServiceItem, actions: list[Action], action: str, before: Service) -> Service:
    item.updated_at = utc_now()
    with atomic(CHANGED) as tx:
        tx.update(item, actions=actions)  # versioned: the local version follows once committed
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action=action, target_type="service",
                        target_id=item.service_id, before=before, after=dal.to_service(item))
    return dal.to_service(item)


def guide(caller: Principal, service_id: str) -> ServiceGuide:
    item = _own(caller, service_id)
    org = get_org_item(caller.org_id)
    fleet_name = org.name if org is not None else caller.org_id
    steps = [
        "Sign up to Fleetbridge as a merchant (or sign in), as your organization's admin.",
        f"Ask to connect to the service ID {item.service_id} ({item.name} of {fleet_name}): "
        f'POST /service-connections with {{"service_id": "{item.service_id}"}}, or My services > Connect.',
        f"{fleet_name} accepts your request; you get an email when it does.",
        f"Place orders on {item.service_id} (POST /services/{item.service_id}/orders) and see them listed.",
    ]
    return ServiceGuide(service_id=item.service_id, service_name=item.name, fleet_name=fleet_name,
                        accepting_requests=item.deactivated_at is None, steps=steps)


def send_guide(caller: Principal, service_id: str, body: GuideSend) -> ServiceGuide:
    """Email the guide to a merchant (through the outbox); audited, since it names the fleet to an outsider."""
    found = guide(caller, service_id)
    if not found.accepting_requests:
        raise Conflict(f"service {found.service_id} is deactivated: reactivate it before inviting merchants")
    lines = "\n".join(f"{n}. {step}" for n, step in enumerate(found.steps, start=1))
    note = f"\n{body.note}\n" if body.note else ""
    with atomic("try again") as tx:
        add_email(tx, to=str(body.email), subject=f"{found.fleet_name} invites you to connect to {found.service_name}",
                  body=f"Hello,\n\n{found.fleet_name} invites you to connect to its service {found.service_name} "
                       f"on Fleetbridge, with the service ID {found.service_id}.\n{note}\n{lines}\n")
        add_audit_event(tx, org_id=caller.org_id, actor=caller, action="service.guide_sent", target_type="service",
                        target_id=found.service_id, after={"email": str(body.email)})
    logger.info("service guide sent", extra={"service_id": found.service_id})
    return found
