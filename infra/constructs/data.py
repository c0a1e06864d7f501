"""The single DynamoDB table, built from shared/db/table.py so AWS, DynamoDB Local and tests agree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from shared.db import table as table_def

# DynamoDB's type letters (as in create_table_request) -> CDK's enum.
ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _attribute(name: str | None, types: dict[str, str]) -> dynamodb.Attribute | None:
    return _key(name, types) if name else None


def _key(name: str, types: dict[str, str]) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=ATTRIBUTE_TYPES[types[name]])


class Data(Construct):
    """The table: on-demand, PITR, stream for async work, TTL, retained and deletion-protected."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        request: dict[str, Any] = table_def.create_table_request("unused")
        types = {a["AttributeName"]: a["AttributeType"] for a in request["AttributeDefinitions"]}
        keys = {k["KeyType"]: k["AttributeName"] for k in request["KeySchema"]}
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=_key(keys["HASH"], types),
            sort_key=_attribute(keys.get("RANGE"), types),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=dynamodb.StreamViewType(request["StreamSpecification"]["StreamViewType"]),
            time_to_live_attribute=table_def.TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Encrypts the secrets we hold for others (shared/secrets/cipher.py); functions that need it
        # get encrypt/decrypt on this key alone.
        self.secrets_key = kms.Key(
            self,
            "SecretsKey",
            description="Fleetbridge: secrets held for others (Fleetrock API keys, webhook and push secrets)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in request["GlobalSecondaryIndexes"]:
            index_keys = {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}
            self.table.add_global_secondary_index(
                index_name=index["IndexName"],
                partition_key=_key(index_keys["HASH"], types),
                sort_key=_attribute(index_keys.get("RANGE"), types),
                projection_type=dynamodb.ProjectionType(index["Projection"]["ProjectionType"]),
            )


def grant_secrets(key: kms.IKey, function: lambda_.IFunction, actions: Sequence[str], purposes: Sequence[str]) -> None:
    """`actions` on the secrets key, for ciphertexts of `purposes` only: the cipher binds each secret to
    its purpose in the KMS encryption context (shared/secrets/cipher.py), so a function that signs push
    deliveries, say, cannot decrypt a Fleetrock API key."""
    function.add_to_role_policy(iam.PolicyStatement(
        actions=list(actions), resources=[key.key_arn],
        conditions={"StringEquals": {"kms:EncryptionContext:purpose": list(purposes)}}))
