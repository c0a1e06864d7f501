"""A partnership ends: the fleet removes its partner, or the partner leaves the fleet (INVERS: partners
accept, decline or delete fleets). The record says so (REMOVED / LEFT), the partner ID no longer assigns
jobs (its link is released), both trails get the event and the other side a notification. The partner's open
jobs go back to the fleet through the record's stream record (shared/jobs/relationships.py)."""

from __future__ import annotations

from shared.audit.public import add_audit_event
from shared.auth.principal import Principal
from shared.connections.public import Way, close_way, get_relationship_item
from shared.db.base import atomic
from shared.db.claims import release_claim
from shared.errors import Conflict, NotFound
from shared.ids import utc_now
from shared.notifications.public import notify
from shared.orgs.public import get_org_item
from shared.partners import dal
from shared.partners.models import PartnerInvitationItem, PartnerRecord, PartnerStatus


def remove_partner(caller: Principal, invitation_id: str) -> PartnerRecord:
    """The fleet ends an ACCEPTED partnership."""
    item = dal.get_invitation_item(caller.org_id, invitation_id)
    if item is None:
        raise NotFound(f"partner {invitation_id} not found")
    return _end(caller, item, PartnerStatus.REMOVED)


def leave_fleet(caller: Principal, fleet_id: str) -> PartnerRecord:
    """The partner (its vendor admin) leaves a fleet it is an ACCEPTED partner of."""
    vendor = get_org_item(caller.org_id)
    item = dal.linked_invitation_item(fleet_id, vendor.partner_id or "") if vendor is not None else None
    if item is None or item.partner_org_id != caller.org_id:
        raise NotFound(f"you are not an installation partner of fleet {fleet_id}")
    return _end(caller, item, PartnerStatus.LEFT)


def _end(caller: Principal, item: PartnerInvitationItem, to: PartnerStatus) -> PartnerRecord:
    if item.status != PartnerStatus.ACCEPTED.value:
        raise Conflict(f"this partnership is {item.status.lower()}: only an accepted one can end")
    before, now = dal.to_record(item), utc_now()
    item.status, item.updated_at = to.value, now
    other_id = item.partner_org_id if to is PartnerStatus.REMOVED else item.fleet_id
    other = get_org_item(other_id or "")
    pair = get_relationship_item(item.fleet_id, item.partner_org_id) if item.partner_org_id else None
    with atomic("the partnership changed meanwhile; reload and try again") as tx:
        tx.save(item)  # versioned
        close_way(tx, pair, Way.INVITATION)
        release_claim(tx, dal.partner_link_pk(item.fleet_id, item.partner_id or ""), item.invitation_id)
        for org_id in (item.fleet_id, item.partner_org_id):
            if org_id:
                add_audit_event(tx, org_id=org_id, actor=caller, action=f"partner.{to.value.lower()}",
                                target_type="partner", target_id=item.invitation_id, before=before,
                                after=dal.to_record(item))
        if other is not None:
            who = item.partner_name if to is PartnerStatus.LEFT else item.fleet_name
            what = "left your fleet" if to is PartnerStatus.LEFT else "ended your installation partnership"
            notify(tx, other, kind=f"partner.{to.value.lower()}", title=f"{who} {what}",
                   body=f"Hello {other.name},\n\n{who} {what}. Open jobs between you went back to the fleet "
                        "(PENDING), and the vehicle access they gave ended.\n",
                   data={"invitation_id": item.invitation_id, "fleet_id": item.fleet_id,
                         "partner_org_id": item.partner_org_id})
    return dal.to_record(item)
