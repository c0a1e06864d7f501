"""What every scheduled function has: a dead-letter queue, its own invoker role, and targets
that pass the scheduled time as the event's `time` (the functions take "now" from it).

The scheduler invokes asynchronously, so its DLQ only gets the invocations it could not deliver;
a run that fails in the function goes through Lambda's own async retries, and then to the same
queue (the function's on-failure destination), where the depth alarm sees it."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.nag import acknowledge


class ScheduleInvoker(Construct):
    """The DLQ and the role EventBridge Scheduler uses to invoke one function; `target()` per schedule."""

    def __init__(self, scope: Construct, construct_id: str, *, function: lambda_.Function, handler: str) -> None:
        super().__init__(scope, construct_id)
        self.function = function
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
            f"This queue is itself the dead-letter queue of the {handler} schedules (EventBridge Scheduler "
            "DeadLetterConfig), so it needs no DLQ of its own.",
        )
        # a run that fails in the function: retried once by Lambda, then recorded in the same queue
        function.configure_async_invoke(retry_attempts=1, max_event_age=Duration.hours(1),
                                        on_failure=destinations.SqsDestination(self.dead_letter_queue))
        # the schedules' own role (not the stack-wide default one): invoke this function, send to this DLQ
        self.role = iam.Role(self, "ScheduleRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
                             description=f"EventBridge Scheduler: invoke Fleetbridge {handler}")
        fn_id = Stack.of(self).resolve(function.node.default_child.logical_id)
        acknowledge(
            self.role,
            f"AwsSolutions-IAM5[Resource::<{fn_id}.Arn>:*]",
            "lambda:InvokeFunction on this one function and its versions/aliases (grantInvoke adds ARN:*); "
            "nothing else.",
        )

    def target(self, detail_type: str, *, retry_attempts: int, max_event_age: Duration) -> targets.LambdaInvoke:
        """Invoke the function with `{source, detail-type, time: the scheduled time}`; retried, then the DLQ."""
        return targets.LambdaInvoke(
            self.function,
            input=scheduler.ScheduleTargetInput.from_object({
                "source": "fleetbridge.scheduler",
                "detail-type": detail_type,
                "time": scheduler.ContextAttribute.scheduled_time,
            }),
            retry_attempts=retry_attempts,
            max_event_age=max_event_age,
            dead_letter_queue=self.dead_letter_queue,
            role=self.role,
        )
