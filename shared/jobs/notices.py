"""Who is told of a job's transition or deletion (a dashboard notification and an email, in its
transaction): the partner of what concerns its work (assigned, taken back, an assigned job deleted by
the fleet), the fleet of the outcome (started, succeeded, failed). The actor's own organization is not
told of what it did itself. Jobs taken back because a relationship ended are on the partner's
dashboard, one by one, without an email each: the ending's own notification emailed it once."""

from __future__ import annotations

from pynamodb.transactions import TransactWrite

from shared.jobs.models import JobItem
from shared.notifications.public import notify
from shared.orgs.public import get_org_item

PARTNER, FLEET = "partner", "fleet"
TOLD: dict[str, str] = {"assigned": PARTNER, "unassigned": PARTNER, "deleted": PARTNER, "started": FLEET,
                        "succeeded": FLEET, "failed": FLEET}


def _what(item: JobItem) -> str:
    return f"{item.title or item.kind} ({item.vin})"


def tell(tx: TransactWrite, item: JobItem, action: str, partner_org: str | None, *, email: bool = True) -> None:
    """Add the notification of `action` on `item` to `tx`; `partner_org`: the partner before the transition
    (an unassigned job has forgotten it); `email`: False for a dashboard entry only."""
    side = TOLD.get(action)
    recipient_id = partner_org if side == PARTNER else item.fleet_id if side == FLEET else None
    recipient = get_org_item(recipient_id) if recipient_id else None
    if recipient is None:
        return
    partner = item.partner_name or "your partner"
    title, body = {
        "assigned": (f"A job was assigned to you: {_what(item)}",
                     f"The fleet assigned you the {item.kind} job {_what(item)}; you may read the vehicle while it "
                     f"runs. Job {item.job_id}."),
        "unassigned": (f"A job was taken back: {_what(item)}",
                       f"The fleet took back job {item.job_id} {_what(item)}; your access to the vehicle ended."),
        "deleted": (f"A job assigned to you was deleted: {_what(item)}",
                    f"The fleet deleted job {item.job_id} {_what(item)}; your access to the vehicle ended."),
        "started": (f"{partner} started {_what(item)}", f"Job {item.job_id} is running."),
        "succeeded": (f"{partner} finished {_what(item)}", f"Job {item.job_id} succeeded."),
        "failed": (f"{partner} could not finish {_what(item)}",
                   f"Job {item.job_id} failed: {item.failure_reason or 'no reason given'}."),
    }[action]
    notify(tx, recipient, kind=f"job_{action}", title=title, body=f"Hello {recipient.name},\n\n{body}\n",
           data={"job_id": item.job_id, "status": item.status, "asset_id": item.asset_id}, email=email)
