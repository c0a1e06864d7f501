"""The Fleetbridge stack: wires the capability constructs together and holds no logic of its own."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra.constructs.api import Api
from infra.constructs.auth import PoolOptions
from infra.constructs.data import Data
from infra.constructs.fleetrock import FleetrockIntegration
from infra.constructs.monitoring import Monitoring
from infra.constructs.portal import Portal
from infra.constructs.push import Push
from infra.constructs.refresh import MaintenanceRefresh
from infra.constructs.runtime import LambdaRuntime
from infra.constructs.stream import Stream

# Context values (`cdk synth -c mail_from=...`); the defaults suit a sandbox account.
DEFAULT_MAIL_FROM = "noreply@fleetbridge.example"
DEFAULT_APP_BASE_URL = "https://app.fleetbridge.example"


class FleetbridgeStack(Stack):
    """Table, functions, API, stream processing and alarms of one Fleetbridge environment."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        mail_from = str(self.node.try_get_context("mail_from") or DEFAULT_MAIL_FROM)
        # SES sends for the verified domain identity of the sender address unless told otherwise.
        mail_from_domain = str(self.node.try_get_context("mail_from_domain") or mail_from.rsplit("@", 1)[-1])
        app_base_url = str(self.node.try_get_context("app_base_url") or DEFAULT_APP_BASE_URL)
        data = Data(self, "Data")
        runtime = LambdaRuntime(
            self,
            "Runtime",
            table=data.table,
            environment={
                "MAILER": "ses",
                "SECRETS_CIPHER": "kms",
                "KMS_KEY_ID": data.secrets_key.key_arn,
                "MAIL_FROM": mail_from,
                # links in emails (sign-up, partner invitations) point at the web app; its origin is CORS's
                "APP_BASE_URL": app_base_url,
                "POWERTOOLS_SERVICE_NAME": "fleetbridge",
                "POWERTOOLS_METRICS_NAMESPACE": "Fleetbridge",
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )
        # Cognito sends sign-up codes from the same address through SES; threat protection costs extra (Plus)
        threat_protection = str(self.node.try_get_context("cognito_threat_protection") or "false").lower() == "true"
        pool = PoolOptions(mail_from=mail_from, mail_from_domain=mail_from_domain, threat_protection=threat_protection)
        api = Api(self, "Api", runtime=runtime, app_base_url=app_base_url, pool=pool)
        # customer portal: link signing keys and pictures, for the customers and portal functions only
        Portal(self, "Portal", portal_fn=api.functions["portal"], customers_fn=api.functions["customers"],
               app_base_url=app_base_url)
        stream = Stream(self, "Stream", runtime=runtime, table=data.table, mail_from_domain=mail_from_domain)
        api.auth.keep_accounts(stream.function)  # users' Cognito accounts follow the table (outbox -> stream)
        push = Push(self, "Push", runtime=runtime, secrets_key=data.secrets_key,
                    api_function=api.functions["subscriptions"], stream_function=stream.function)
        refresh = MaintenanceRefresh(self, "MaintenanceRefresh", runtime=runtime)  # daily 05:00 US Eastern
        monitoring = Monitoring(
            self,
            "Monitoring",
            functions={**api.functions, "stream_processor": stream.function, "push_retry": push.function,
                       "maintenance_refresh": refresh.function, "token_claims": api.auth.token_claims},
            dead_letter_queue=stream.failure_queue,
            rest_api=api.rest_api,
            schedule_dead_letter_queues={"push_retry": push.dead_letter_queue,
                                         "maintenance_refresh": refresh.dead_letter_queue},
        )
        refresh.notify(monitoring.topic)
        # Fleetrock: KMS for the functions holding its secrets, the webhook 401-rate alarm
        FleetrockIntegration(self, "Fleetrock", secrets_key=data.secrets_key,
                             integrations_fn=api.functions["integrations"],
                             webhook_fn=api.functions["fleetrock_webhook"], stream_fn=stream.function,
                             alarm_topic=monitoring.topic)
