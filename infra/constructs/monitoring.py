"""Alarms that go somewhere: function errors and throttles, DLQ depth, API 4xx/5xx rates to SNS."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

PERIOD = Duration.minutes(5)
NAMESPACE, DIMENSIONS = "Fleetbridge", {"service": "fleetbridge"}  # what shared/observability.py emits
API_5XX_RATE = 0.01  # a 5xx is always a bug (spec), so almost any rate of them is worth a look
API_4XX_RATE = 0.10  # a jump in client errors: a broken front-end, a bad token issuer, probing
API_4XX_MIN_REQUESTS = 20  # below this, one 404 would be a 100% rate: noise, not a signal


class Monitoring(Construct):
    """An encrypted SNS topic and the alarms that publish to it; subscribe people per environment."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.IFunction],
        dead_letter_queue: sqs.IQueue,
        rest_api: apigw.RestApi,
        schedule_dead_letter_queues: Mapping[str, sqs.IQueue] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        key = kms.Key(self, "AlarmTopicKey", enable_key_rotation=True, description="Fleetbridge alarm topic")
        # CloudWatch publishes alarms to the encrypted topic, so it must be able to use the key.
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(self, "AlarmTopic", display_name="Fleetbridge alarms", master_key=key, enforce_ssl=True)
        self.alarms: list[cloudwatch.Alarm] = []
        for name, fn in functions.items():
            label = name.title().replace("_", "")
            self._alarm(f"{label}Errors", fn.metric_errors(period=PERIOD), 0, f"{name}: invocation errors")
            self._alarm(f"{label}Throttles", fn.metric_throttles(period=PERIOD), 0, f"{name}: throttled")
        self._alarm(
            "DeadLetterDepth",
            dead_letter_queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            0,
            "stream records gave up after retries: inspect the failure queue",
        )
        for name, queue in (schedule_dead_letter_queues or {}).items():
            self._alarm(
                f"{name.title().replace('_', '')}ScheduleDeadLetterDepth",
                queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                0,
                f"{name}: scheduled runs failed (not delivered after the scheduler's retries, or failed in the "
                "function after Lambda's): inspect its dead-letter queue",
            )
        requests = rest_api.metric_count(period=PERIOD, statistic="Sum")
        self._alarm(
            "Api5xxRate",
            _rate(rest_api.metric_server_error(period=PERIOD, statistic="Sum"), requests, 1),
            API_5XX_RATE,
            "API 5xx rate (a 5xx is always a bug)",
        )
        self._alarm(
            "Api4xxRate",
            _rate(rest_api.metric_client_error(period=PERIOD, statistic="Sum"), requests, API_4XX_MIN_REQUESTS),
            API_4XX_RATE,
            "API 4xx rate unusually high",
            evaluation_periods=3,
        )

    def _alarm(
        self,
        alarm_id: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> None:
        alarm = above(self, alarm_id, metric, threshold, description, evaluation_periods)
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)


def above(scope: Construct, alarm_id: str, metric: cloudwatch.IMetric, threshold: float, description: str,
          evaluation_periods: int = 1) -> cloudwatch.Alarm:
    """An alarm when `metric` goes over `threshold`; no data (nothing happened) is not a breach."""
    return cloudwatch.Alarm(
        scope,
        alarm_id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=evaluation_periods,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=f"Fleetbridge: {description}",
    )


def _rate(errors: cloudwatch.IMetric, requests: cloudwatch.IMetric, min_requests: int) -> cloudwatch.MathExpression:
    """errors / requests per period, 0 while there are fewer than `min_requests` requests."""
    return cloudwatch.MathExpression(
        expression=f"IF(requests >= {min_requests}, errors / requests, 0)",
        using_metrics={"errors": errors, "requests": requests},
        period=PERIOD,
    )


def app_metric(name: str) -> cloudwatch.Metric:
    """A count our code emits (shared/observability.py metrics), summed over PERIOD."""
    return cloudwatch.Metric(namespace=NAMESPACE, metric_name=name, dimensions_map=DIMENSIONS, statistic="Sum",
                             period=PERIOD)
