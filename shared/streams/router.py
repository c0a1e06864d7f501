"""What each DynamoDB stream record sets off: one table, (event name, item type) -> the work, in order.

Each entry names its work by a function that imports it and hands it over: the real function is
one hop from here ("what happens after a job changes": go to it), mypy checks its signature, and
it is imported on the first record that needs it, so the processor's cold start loads none of
them and a record that triggers nothing loads nothing. Work must be idempotent: the stream may
deliver a record more than once, and a failed record is retried (then sent to the dead-letter
queue) by the event source mapping; when a record has several works, a retry runs them all again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from shared.coldstart import loading

T = TypeVar("T")

Image = dict[str, Any]
Work = Callable[[Image], None]
ChangeWork = Callable[[Image | None, Image | None], None]  # (old image, new image): what changed


# -- the works, each imported when first needed; a work takes the image that matters (new for
# INSERT/MODIFY, old for REMOVE) --------------------------------------------------------------------
def _outbox_senders() -> dict[str, Callable[[str, dict[str, Any]], None]]:
    """Who delivers an outbox message of each kind other than an email."""
    from shared.notifications.emails import send_notification_emails
    from shared.notifications.notify import NOTIFICATION_EMAILS
    from shared.orgs.accounts import sync_account
    from shared.orgs.models import ACCOUNT_MESSAGE

    return {NOTIFICATION_EMAILS: send_notification_emails, ACCOUNT_MESSAGE: sync_account}


def send_outbox_message() -> Work:
    """An email is sent; a notification's message is fanned out to the users who want its emails; a user's
    Cognito account is brought in step with the table (shared/orgs/accounts.py)."""
    from shared.outbox.delivery import deliver

    return partial(deliver, senders=_outbox_senders())


def send_requeued_outbox_message() -> Work:
    """Queued again by the sweep; any other change of a message: nothing."""
    from shared.outbox.delivery import deliver_queued

    return partial(deliver_queued, senders=_outbox_senders())


def drop_deleted_group_from_grants() -> Work:
    from shared.connections.grants import deleted_group_record

    return deleted_group_record


def empty_deleted_group() -> Work:
    from shared.assets.groups.logic import clean_up_deleted_group

    return clean_up_deleted_group


def record_completed_service() -> Work:
    """Portal: a SUCCEEDED job at a site is a completed service there."""
    from shared.portal.setup.job_services import record_job_service

    return record_job_service


def take_in_webhook() -> Work:
    """A stored Fleetrock webhook: sample it, count it, apply it."""
    from shared.fleetrock.inbox.apply import inbox_inserted

    return inbox_inserted


def apply_replayed_webhook() -> Work:
    from shared.fleetrock.inbox.apply import apply_inbox_record

    return apply_inbox_record


def sync_unit_to_fleetrock() -> Work:
    from shared.fleetrock.sync.sync import sync_asset_record

    return sync_asset_record


def retry_unit_sync() -> Work:
    """A failed sync queued again by the sweep, or a unit linked at activation."""
    from shared.fleetrock.sync.sync import retry_sync_record

    return retry_sync_record


def attach_waiting_repair_orders() -> Work:
    """An asset with a VIN Fleetrock told us about earlier gets its repair orders."""
    from shared.fleetrock.inbox.attach import attach_waiting_record

    return attach_waiting_record


def send_push_delivery() -> Work:
    """A stored delivery's first attempt, or a redelivery; other changes: nothing."""
    from shared.push.attempts import send_from_stream

    return send_from_stream


def take_back_jobs_of_an_ended_connection() -> Work:
    """A disconnected vendor's open jobs in the fleet go back to PENDING, its vehicle access with them."""
    from shared.jobs.relationships import connection_ended_record

    return connection_ended_record


def take_back_jobs_of_an_ended_partnership() -> Work:
    """A removed (or departed) partner's open jobs in the fleet go back to PENDING."""
    from shared.jobs.relationships import partnership_ended_record

    return partnership_ended_record


def give_a_new_fleet_its_first_service() -> Work:
    """Each fleet has at least one service ID from its sign-up on."""
    from shared.services.catalog import first_service_record

    return first_service_record


def fan_out_push_change() -> Work:
    """An asset's change recorded for status_changed: one delivery per subscription that wants it."""
    from shared.push.changes import fan_out_record

    return fan_out_record


def push_asset_change() -> ChangeWork:
    """An asset's status set by a person, or the asset deleted: a status_changed push."""
    from shared.push.asset_changes import asset_record_changed

    return asset_record_changed


def take_back_jobs_of_a_removed_team() -> ChangeWork:
    from shared.jobs.relationships import team_removed_change

    return team_removed_change


def run_refresh_task() -> Work:
    """One fleet's daily refresh, or a retry the sweep queued; other changes: nothing."""
    from shared.fleetrock.refresh.run import run_task_record

    return run_task_record


ROUTES: dict[tuple[str, str], tuple[Callable[[], Work], ...]] = {
    ("INSERT", "outbox"): (send_outbox_message,),
    ("MODIFY", "outbox"): (send_requeued_outbox_message,),
    ("REMOVE", "group"): (drop_deleted_group_from_grants, empty_deleted_group),
    ("MODIFY", "job"): (record_completed_service,),
    ("INSERT", "fleetrock_inbox"): (take_in_webhook,),
    ("MODIFY", "fleetrock_inbox"): (apply_replayed_webhook,),
    ("INSERT", "asset"): (sync_unit_to_fleetrock,),
    ("MODIFY", "asset"): (sync_unit_to_fleetrock,),
    ("INSERT", "fleetrock_sync"): (retry_unit_sync,),
    ("MODIFY", "fleetrock_sync"): (retry_unit_sync,),
    ("INSERT", "vin_claim"): (attach_waiting_repair_orders,),
    ("MODIFY", "vin_claim"): (attach_waiting_repair_orders,),
    ("INSERT", "push_delivery"): (send_push_delivery,),
    ("MODIFY", "push_delivery"): (send_push_delivery,),
    ("INSERT", "maintenance_refresh_task"): (run_refresh_task,),
    ("MODIFY", "maintenance_refresh_task"): (run_refresh_task,),
    ("INSERT", "asset_push_state"): (fan_out_push_change,),
    ("INSERT", "org"): (give_a_new_fleet_its_first_service,),
    ("MODIFY", "connection"): (take_back_jobs_of_an_ended_connection,),
    ("MODIFY", "partner_invitation"): (take_back_jobs_of_an_ended_partnership,),
    ("MODIFY", "asset_push_state"): (fan_out_push_change,),
}
# works that need both images (the stream's view type is NEW_AND_OLD_IMAGES), after ROUTES' works
CHANGE_ROUTES: dict[tuple[str, str], tuple[Callable[[], ChangeWork], ...]] = {
    ("MODIFY", "asset"): (push_asset_change,),
    ("REMOVE", "asset"): (push_asset_change,),
    ("MODIFY", "relationship"): (take_back_jobs_of_a_removed_team,),
}


def work_modules() -> tuple[str, ...]:
    """The modules the works import (the bundle compiles them ahead: infra/bundle.py), read from
    their code, so the list cannot drift from the table. Bundle time only: the processor's cold start
    does not import ast and inspect."""
    import ast
    import inspect

    modules: dict[str, None] = {}
    for loaders in (*ROUTES.values(), *CHANGE_ROUTES.values()):
        for loader in loaders:
            for node in ast.walk(ast.parse(inspect.getsource(loader))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    modules[node.module] = None
    return tuple(modules)


def route(record: DynamoDBRecord) -> bool:
    """Do the record's work; False when the record triggers nothing."""
    stream = record.dynamodb
    if stream is None:
        return False
    event_name = record.raw_event.get("eventName", "")
    image = (stream.old_image if event_name == "REMOVE" else stream.new_image) or {}
    key = (event_name, str(image.get("type", "")))
    loaders, change_loaders = ROUTES.get(key, ()), CHANGE_ROUTES.get(key, ())
    for loader in loaders:
        _loaded(loader)(image)
    for change_loader in change_loaders:
        _loaded(change_loader)(stream.old_image, stream.new_image)
    return bool(loaders or change_loaders)


@cache
def _loaded(loader: Callable[[], T]) -> T:
    """The work, its module imported once per process (like the handler's own import: shared/coldstart.py)."""
    with loading():
        return loader()
