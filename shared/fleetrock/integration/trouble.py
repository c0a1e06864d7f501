"""Integration trouble a fleet must know of, told once per episode (notifications' notify_once): webhook
signatures failing (a rotated secret Fleetrock does not have, or someone probing the URL), unit syncs
given up, a daily refresh given up. A burst (every webhook of a busy day, every unit of a fleet while
Fleetrock is down) is one notification, not one per request or unit.

The episode item is written in its own transaction right after what it reports (a refused request
writes nothing; a give-up is a task's own update): when a process dies between the two, the next
occurrence tells. Webhook refusals also skip the write for an integration this process told in the
episode already, so a flood of bad requests costs no write each.
"""

from __future__ import annotations

import time
from datetime import timedelta

from shared.notifications.public import notify_once
from shared.orgs.public import get_org_item

EPISODE = timedelta(hours=24)
_told_until: dict[str, float] = {}  # integration id -> monotonic time until which this process told it


def webhook_signatures_failing(org_id: str, integration_id: str) -> None:
    now = time.monotonic()
    if _told_until.get(integration_id, 0.0) > now:
        return
    org = get_org_item(org_id)
    if org is None:
        return
    notify_once(org, episode=f"webhook_signatures:{integration_id}", lasts=EPISODE,
                kind="integration.webhook_signatures_failing",
                title="Fleetrock webhooks are refused: their signatures do not match",
                body=(f"Hello {org.name},\n\nWebhooks for your Fleetrock integration {integration_id} arrive with a "
                      "signature that does not match its webhook secret, so we refuse them and your statuses miss "
                      "their changes. If you rotated the secret, give Fleetrock the new one. We tell you once a "
                      "day while it lasts.\n"),
                data={"integration_id": integration_id})
    _told_until[integration_id] = now + EPISODE.total_seconds()


def sync_gave_up(org_id: str, integration_id: str, asset_id: str, error: str | None) -> None:
    org = get_org_item(org_id)
    if org is None:
        return
    notify_once(org, episode=f"sync_gave_up:{integration_id}", lasts=EPISODE, kind="integration.sync_gave_up",
                title="Units could not be synced to Fleetrock",
                body=(f"Hello {org.name},\n\nWe stopped retrying to sync units to Fleetrock (integration "
                      f"{integration_id}; first one: asset {asset_id}, {error or 'no error recorded'}). The list "
                      "of failed units is under the integration's units (state failed); sync them again once "
                      "Fleetrock answers. We tell you once a day while it lasts.\n"),
                data={"integration_id": integration_id, "asset_id": asset_id})


def refresh_gave_up(org_id: str, integration_id: str, run_date: str, error: str | None) -> None:
    org = get_org_item(org_id)
    if org is None:
        return
    notify_once(org, episode=f"refresh_gave_up:{integration_id}:{run_date}", lasts=timedelta(days=2),
                kind="integration.refresh_gave_up",
                title=f"The daily maintenance refresh of {run_date} failed",
                body=(f"Hello {org.name},\n\nThe daily maintenance refresh of {run_date} for your "
                      f"Fleetrock integration {integration_id} failed after its retries "
                      f"({error or 'no error recorded'}): statuses are as of the last refresh and the webhooks "
                      "since. Tomorrow's refresh catches up.\n"),
                data={"integration_id": integration_id, "run_date": run_date})
