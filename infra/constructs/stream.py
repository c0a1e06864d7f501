"""The stream processor: all asynchronous work runs off the table's stream (spec: architecture).

Partial batch failures are retried record by record (bisect, ReportBatchItemFailures); records
that still fail, or grow too old, land in an SQS queue instead of blocking the shard.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.constructs.runtime import LambdaRuntime

STREAM_READ_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")


class Stream(Construct):
    """`stream_processor` on the table stream, with an on-failure queue and SES sending rights."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        table: dynamodb.ITable,
        mail_from_domain: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.failure_queue = sqs.Queue(
            self,
            "FailureQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.failure_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter destination of the stream's event source mapping "
            "(on-failure destination, not an SQS redrive), so it needs no DLQ of its own.",
        )
        self.function: lambda_.Function = runtime.function(
            self,
            "ProcessorFunction",
            handler="stream_processor",
            description="Fleetbridge stream processor: outbox, inbox, emails, pushes",
            # a batch may hold up to 25 daily refresh tasks of large fleets, run one after another
            # (bench/RESULTS.md: maintenance_refresh); well under the refresh task's 15-minute lease
            timeout=Duration.minutes(5),
        )
        # Reading records is scoped to this table's stream. ListStreams takes no resource (IAM has
        # no resource type for it), and the event source mapping needs it: it gets "*" alone,
        # as in AWSLambdaDynamoDBExecutionRole; it reveals stream ARNs, no data.
        table.grant_stream(self.function, *STREAM_READ_ACTIONS)
        self.function.add_to_role_policy(iam.PolicyStatement(actions=["dynamodb:ListStreams"], resources=["*"]))
        self.function.add_event_source_mapping(
            "TableStream",
            event_source_arn=table.table_stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=25,
            # up to 10 batches of a shard at once (records of one partition key stay in order):
            # the daily refresh tasks of different fleets run side by side
            parallelization_factor=10,
            max_batching_window=Duration.seconds(1),
            bisect_batch_on_error=True,
            retry_attempts=5,
            max_record_age=Duration.hours(6),
            report_batch_item_failures=True,
            on_failure=sources.SqsDlq(self.failure_queue),
        )
        identity_arn = Stack.of(self).format_arn(service="ses", resource="identity", resource_name=mail_from_domain)
        self.function.add_to_role_policy(iam.PolicyStatement(actions=["ses:SendEmail"], resources=[identity_arn]))
