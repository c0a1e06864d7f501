"""Cognito's Pre Token Generation trigger: the ID token's tenancy claims from our table (shared/orgs/tenancy.py).

A person with no Fleetbridge user (just signed up, or removed) gets a token whose tenancy claims
are suppressed, whatever their Cognito attributes say: only the table decides. A failure here
fails the sign-in (Cognito issues no token), which is safer than a token with stale tenancy.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PreTokenGenerationTriggerEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.coldstart import initialized
from shared.observability import logger, metrics, tracer
from shared.orgs.tenancy import ORG_CLAIM, ROLE_CLAIM, USER_CLAIM, tenancy_of
from shared.settings import get_settings

settings = get_settings()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    trigger = PreTokenGenerationTriggerEvent(event)
    attributes = trigger.request.user_attributes
    tenancy = tenancy_of(attributes.get("email"), attributes.get("email_verified") == "true")
    details = trigger.response.claims_override_details
    if tenancy is None:
        details.claims_to_suppress = [ORG_CLAIM, ROLE_CLAIM, USER_CLAIM]
    else:
        details.claims_to_add_or_override = tenancy.claims()
    logger.info("token claims", extra={"trigger_source": trigger.trigger_source,
                                        "user_id": tenancy.user_id if tenancy else None,
                                        "org_id": tenancy.org_id if tenancy else None})
    return trigger.raw_event


initialized()  # last line: the cold start is over (shared/coldstart.py)
