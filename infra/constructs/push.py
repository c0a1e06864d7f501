"""Push deliveries (spec: fleetrock.md): push_retry every minute, and KMS rights where secrets are used.

Deliveries are sent by the stream processor (first attempt) and by push_retry (retries that fell
due), which EventBridge Scheduler invokes every minute with the scheduled time as the event's
`time`; a run that fails is retried by the scheduler, then lands in a dead-letter queue. Push
secrets are KMS-encrypted: the API function that creates and rotates them may only encrypt; the
two functions that sign deliveries may only decrypt.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.constructs.runtime import LambdaRuntime

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
        self.dead_letter_queue = sqs.Queue(
            self,
            "ScheduleDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the push_retry schedule (EventBridge Scheduler "
            "DeadLetterConfig), so it needs no DLQ of its own.",
        )
        # the schedule's own role (not the stack-wide default one): invoke this function, send to this DLQ
        invoker = iam.Role(self, "ScheduleRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
                           description="EventBridge Scheduler: invoke Fleetbridge push_retry")
        fn_id = Stack.of(self).resolve(self.function.node.default_child.logical_id)  # type: ignore[union-attr]
        acknowledge(
            invoker,
            f"AwsSolutions-IAM5[Resource::<{fn_id}.Arn>:*]",
            "lambda:InvokeFunction on this one function and its versions/aliases (grantInvoke adds ARN:*); "
            "nothing else.",
        )
        self.schedule = scheduler.Schedule(
            self,
            "RetrySchedule",
            description="Fleetbridge: attempt due push deliveries",
            schedule=scheduler.ScheduleExpression.rate(RETRY_RATE),
            time_window=scheduler.TimeWindow.off(),
            target=targets.LambdaInvoke(
                self.function,
                input=scheduler.ScheduleTargetInput.from_object({
                    "source": "fleetbridge.scheduler",
                    "detail-type": "push_retry",
                    "time": scheduler.ContextAttribute.scheduled_time,
                }),
                retry_attempts=2,
                max_event_age=Duration.minutes(5),  # the next minute's run picks up what is due anyway
                dead_letter_queue=self.dead_letter_queue,
                role=invoker,
            ),
        )
        # Least privilege on the secrets key: Encrypt to store a new secret, Decrypt to sign with it.
        secrets_key.grant(api_function, "kms:Encrypt")
        secrets_key.grant_decrypt(stream_function)
        secrets_key.grant_decrypt(self.function)
