"""The daily maintenance refresh (fleetrock.md): maintenance_refresh at 05:30 EST, and its sweep.

Fleetrock sends its scheduled-maintenance data "daily at 5 AM EST" (seed 001): a fixed UTC-5, so
06:00 in New York while DST is on. The run (reconcile, recompute, snapshot) waits for that data: it
is scheduled at 05:30 in Etc/GMT+5 (EST all year: 05:30 in New York in winter, 06:30 in summer),
half an hour after Fleetrock's send. What arrives later goes out as status_changed pushes at once.
EventBridge Scheduler invokes the function daily with that cron and every minute with the sweep
event; each run that fails is retried by the scheduler, then lands in a dead-letter queue. The function only writes task
items and queues due retries: the fleets' refreshes run in the stream processor, which already
holds the KMS rights to use Fleetrock API keys, so this function gets none. An alarm goes off when
a fleet's refresh gives up after all its attempts.
"""

from __future__ import annotations

from aws_cdk import Duration, TimeZone
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.monitoring import above, app_metric
from infra.constructs.runtime import LambdaRuntime
from infra.constructs.schedule import ScheduleInvoker

AFTER_FLEETROCKS_DATA = TimeZone.ETC_GMT_PLUS_5  # EST all year (POSIX sign: GMT+5 is UTC-5)
HANDLER = "maintenance_refresh"
SWEEP = "maintenance_refresh_sweep"  # functions/maintenance_refresh/handler.py


class MaintenanceRefresh(Construct):
    """The function, its daily and every-minute schedules (own role, retries, a DLQ), the give-up alarm."""

    def __init__(self, scope: Construct, construct_id: str, *, runtime: LambdaRuntime) -> None:
        super().__init__(scope, construct_id)
        self.function: lambda_.Function = runtime.function(
            self,
            "RefreshFunction",
            handler=HANDLER,
            description="Fleetbridge maintenance_refresh: one refresh task per active integration; retries",
            # 1,000 conditional puts, 8 at a time, take seconds; the sweep queues at most 200 tasks
            timeout=Duration.minutes(5),
        )
        invoker = ScheduleInvoker(self, "Invoker", function=self.function, handler=HANDLER)
        self.dead_letter_queue = invoker.dead_letter_queue

        def target(detail_type: str, max_event_age: Duration) -> targets.LambdaInvoke:
            return invoker.target(detail_type, retry_attempts=3, max_event_age=max_event_age)

        self.daily = scheduler.Schedule(
            self,
            "DailySchedule",
            description="Fleetbridge: daily refresh and snapshot, 05:30 EST (after Fleetrock's 5 AM EST data)",
            schedule=scheduler.ScheduleExpression.cron(minute="30", hour="5", time_zone=AFTER_FLEETROCKS_DATA),
            time_window=scheduler.TimeWindow.off(),
            # a run retried late still writes the day's tasks (the day is the scheduled time's, US Eastern)
            target=target(HANDLER, Duration.hours(2)),
        )
        self.sweep = scheduler.Schedule(
            self,
            "SweepSchedule",
            description="Fleetbridge: queue maintenance refresh retries that fell due",
            schedule=scheduler.ScheduleExpression.rate(Duration.minutes(1)),
            time_window=scheduler.TimeWindow.off(),
            target=target(SWEEP, Duration.minutes(5)),  # the next minute's sweep picks up what is due anyway
        )
        gave_up = app_metric("MaintenanceRefreshGaveUp")
        self.gave_up_alarm = above(self, "RefreshGaveUp", gave_up, 0,
                                   "a fleet's daily maintenance refresh failed after all its retries "
                                   "(GET /integrations/{id}/refreshes shows why)")
        # the same sweep works through the outbox (shared/outbox/sweep.py): an email it gave up on
        outbox_gave_up = app_metric("OutboxGaveUp")
        self.outbox_gave_up_alarm = above(self, "OutboxGaveUp", outbox_gave_up, 0,
                                          "an email could not be sent after all its retries (about 16 hours; "
                                          "its message_id is in the sweep's log line)")

    def notify(self, alarm_topic: sns.ITopic) -> None:
        """Send the give-up alarms to the alarm topic (Monitoring is built after this construct)."""
        for alarm in (self.gave_up_alarm, self.outbox_gave_up_alarm):
            alarm.add_alarm_action(actions.SnsAction(alarm_topic))
