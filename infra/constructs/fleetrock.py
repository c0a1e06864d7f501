"""Fleetrock integration (fleetrock.md): KMS rights of the functions that hold its secrets, and the
alarms on its webhooks (rejected signatures, error answers, unrecognized shapes) and given-up work.

The webhook route itself needs nothing here: the catalog marks `fleetrock_webhook` self-authenticated,
so infra/constructs/api.py gives it no Cognito authorizer. Failed inbox events and unit syncs go to
the stream's failure queue, whose depth Monitoring already alarms on.
"""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.data import grant_secrets
from infra.constructs.monitoring import PERIOD, above, app_metric
from shared.secrets.purposes import FLEETROCK_API_KEY, FLEETROCK_WEBHOOK_SECRET

UNAUTHORIZED_RATE = 0.2  # a fifth of webhooks with a bad signature: a rotated secret not pasted, or probing
CLIENT_ERROR_RATE = 0.2  # a fifth of webhooks answered 4xx (bad signature, stale, too large, inactive...)
MIN_WEBHOOKS = 10


class FleetrockIntegration(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        secrets_key: kms.IKey,
        integrations_fn: lambda_.IFunction,
        webhook_fn: lambda_.IFunction,
        stream_fn: lambda_.IFunction,
        alarm_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        # set-up encrypts the API key and webhook secret, and decrypts the key to call GetToken
        grant_secrets(secrets_key, integrations_fn, ["kms:Encrypt", "kms:Decrypt"],
                      [FLEETROCK_API_KEY, FLEETROCK_WEBHOOK_SECRET])
        grant_secrets(secrets_key, webhook_fn, ["kms:Decrypt"], [FLEETROCK_WEBHOOK_SECRET])  # to verify signatures
        # the API key, to sync units and fetch repair orders
        grant_secrets(secrets_key, stream_fn, ["kms:Decrypt"], [FLEETROCK_API_KEY])


        rate = cloudwatch.MathExpression(
            expression=f"IF(received >= {MIN_WEBHOOKS}, unauthorized / received, 0)",
            using_metrics={"unauthorized": app_metric("FleetrockWebhookUnauthorized"),
                           "received": app_metric("FleetrockWebhookReceived")},
            period=PERIOD,
        )
        self.unauthorized_alarm = above(self, "WebhookUnauthorizedRate", rate, UNAUTHORIZED_RATE,
                                        "Fleetrock webhooks rejected for a bad signature (401) at a high rate")
        self.unauthorized_alarm.add_alarm_action(actions.SnsAction(alarm_topic))
        self.unauthorized_alarm.add_ok_action(actions.SnsAction(alarm_topic))
        # the spec's "webhook 4xx/5xx rate": every answer counted by the webhook's entry point (answers_metric)
        client_errors = cloudwatch.MathExpression(
            expression=f"IF(answered >= {MIN_WEBHOOKS}, errors / answered, 0)",
            using_metrics={"errors": app_metric("FleetrockWebhook4xx"),
                           "answered": app_metric("FleetrockWebhookAnswered")},
            period=PERIOD,
        )
        self.client_error_alarm = above(self, "WebhookClientErrorRate", client_errors, CLIENT_ERROR_RATE,
                                        "Fleetrock webhooks answered 4xx at a high rate (GET /integrations/{id}/events "
                                        "shows what was accepted; the webhook function's log says why others were not)")
        self.server_error_alarm = above(self, "WebhookServerErrors", app_metric("FleetrockWebhook5xx"), 0,
                                        "a Fleetrock webhook was answered 5xx (Fleetrock retries it; a 5xx is a bug)")
        for alarm in (self.client_error_alarm, self.server_error_alarm):
            alarm.add_alarm_action(actions.SnsAction(alarm_topic))
            alarm.add_ok_action(actions.SnsAction(alarm_topic))
        # a signed webhook whose shape we do not recognise (answered 202, kept, not applied): Fleetrock's real
        # envelope differs from docs/fleetrock-contract.md, or changed; any one is worth a look
        self.unrecognized_alarm = above(
            self, "WebhookUnrecognized", app_metric("FleetrockWebhookUnrecognized"), 0,
            "a signed Fleetrock webhook had a shape we do not recognise: kept as unrecognized, not applied "
            "(GET /integrations/{id}/webhook-samples shows it as it arrived; the integration counts them)")
        self.unrecognized_alarm.add_alarm_action(actions.SnsAction(alarm_topic))
        # the inbox sweep (shared/fleetrock/inbox/sweep.py) stopped retrying an event: it needs a replay
        self.event_gave_up_alarm = above(
            self, "WebhookEventGaveUp", app_metric("FleetrockEventGaveUp"), 0,
            "a Fleetrock webhook event could not be applied after all its retries "
            "(GET /integrations/{id}/events shows it failed, with its last error; replay it)")
        self.event_gave_up_alarm.add_alarm_action(actions.SnsAction(alarm_topic))
        # the sync sweep (shared/fleetrock/sync/sweep.py) stopped retrying a unit sync: it needs a manual retry
        self.sync_gave_up_alarm = above(
            self, "UnitSyncGaveUp", app_metric("FleetrockSyncGaveUp"), 0,
            "an asset could not be synced to Fleetrock after all its retries (GET /integrations/{id}/units"
            "?state=failed shows it, with its last error; POST .../units/{asset_id}/sync retries it)")
        self.sync_gave_up_alarm.add_alarm_action(actions.SnsAction(alarm_topic))
