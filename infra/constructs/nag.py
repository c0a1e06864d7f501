"""cdk-nag v3 acknowledgments: each one names a rule (or one finding of it) and says why."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge `rule_id` on `scope` and everything under it; a reason is mandatory."""
    if len(reason.strip()) < 20:
        raise ValueError(f"{rule_id}: a suppression needs a real reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))
