"""Push deliveries (spec: fleetrock.md): push_retry every minute, and KMS rights where secrets are used.

Deliveries are sent by the stream processor (first attempt) and by push_retry (retries that fell
due), which EventBridge Scheduler invokes every minute with the scheduled time as the event's
`time`; a run that fails is retried by the scheduler, then lands in a dead-letter queue. Push
secrets are KMS-encrypted: the API function that creates and rotates them may only encrypt; the
two functions that sign deliveries may only decrypt.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.constructs.data import grant_secrets
from infra.constructs.runtime import LambdaRuntime
from infra.constructs.schedule import ScheduleInvoker
from shared.secrets.purposes import PUSH_SUBSCRIPTION_SECRET

RETRY_RATE = Duration.minutes(1)


class Push(Construct):
    """The push_retry function and its schedule (no flexible window, retries, a DLQ); KMS grants."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        secrets_key: kms.IKey,
        api_function: lambda_.IFunction,
        stream_function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function: lambda_.Function = runtime.function(
            self,
            "RetryFunction",
            handler="push_retry",
            description="Fleetbridge push_retry: attempts the push deliveries that fell due",
            # at most 128 attempts, 16 at a time, each at most 10 s (shared/push/retry.py)
            timeout=Duration.minutes(2),
        )
        invoker = ScheduleInvoker(self, "Invoker", function=self.function, handler="push_retry")
        self.dead_letter_queue = invoker.dead_letter_queue
        self.schedule = scheduler.Schedule(
            self,
            "RetrySchedule",
            description="Fleetbridge: attempt due push deliveries",
            schedule=scheduler.ScheduleExpression.rate(RETRY_RATE),
            time_window=scheduler.TimeWindow.off(),
            # the next minute's run picks up what is due anyway
            target=invoker.target("push_retry", retry_attempts=2, max_event_age=Duration.minutes(5)),
        )
        # Least privilege on the secrets key: Encrypt to store a new secret, Decrypt to sign with it.
        grant_secrets(secrets_key, api_function, ["kms:Encrypt"], [PUSH_SUBSCRIPTION_SECRET])
        grant_secrets(secrets_key, stream_function, ["kms:Decrypt"], [PUSH_SUBSCRIPTION_SECRET])
        grant_secrets(secrets_key, self.function, ["kms:Decrypt"], [PUSH_SUBSCRIPTION_SECRET])
