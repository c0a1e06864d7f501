"""The single table's shape: the one definition the CDK stack, DynamoDB Local and tests use.

Keys are generic (`pk`/`sk`, `gsi1pk`/`gsi1sk`, ...); what each holds is written down in
docs/data-model.md. GSIs project everything; they are sparse: an item is in an index only
when it carries that index's key attributes.
"""

from __future__ import annotations

from typing import Any

PARTITION_KEY = "pk"
SORT_KEY = "sk"
# index name -> (partition key attribute, sort key attribute)
INDEXES: dict[str, tuple[str, str]] = {
    "gsi1": ("gsi1pk", "gsi1sk"),
    "gsi2": ("gsi2pk", "gsi2sk"),
    "gsi3": ("gsi3pk", "gsi3sk"),
    "gsi4": ("gsi4pk", "gsi4sk"),
}
TTL_ATTRIBUTE = "expires_at_epoch"
STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"


def key_attribute_names() -> list[str]:
    names = [PARTITION_KEY, SORT_KEY]
    for pk, sk in INDEXES.values():
        names += [pk, sk]
    return names


def create_table_request(table_name: str) -> dict[str, Any]:
    """boto3 `create_table` arguments for this table (DynamoDB Local and tests)."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in key_attribute_names()],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": pk, "KeyType": "HASH"},
                    {"AttributeName": sk, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, (pk, sk) in INDEXES.items()
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE},
    }


def create_table(client: Any, table_name: str) -> None:
    """Create the table with its stream and TTL on a DynamoDB endpoint (local use)."""
    client.create_table(**create_table_request(table_name))
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
