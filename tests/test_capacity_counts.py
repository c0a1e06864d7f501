"""The counting helpers of bench/capacity_counts.py (item sizes by DynamoDB's rules, key patterns, written keys).

Pure functions, no DynamoDB: well under a second.
"""

from __future__ import annotations

from bench.capacity_counts import item_size, key_pattern, read_key, write_keys


def test_item_size_follows_dynamodbs_rules():
    # names + values: strings in UTF-8 bytes, numbers ~1 byte per 2 significant digits + 1, bool 1
    assert item_size({"pk": {"S": "ORG#1"}, "n": {"N": "12345"}, "ok": {"BOOL": True}}) == (2 + 5) + (1 + 4) + (2 + 1)
    # maps and lists: 3 bytes + 1 per element (+ the key names of a map)
    nested = {"m": {"M": {"a": {"S": "xy"}}}, "l": {"L": [{"S": "z"}]}}
    assert item_size(nested) == (1 + 3 + 1 + 1 + 2) + (1 + 3 + 1 + 1)
    assert item_size({"b": {"B": "AAEC"}, "s": {"SS": ["é", "ab"]}}) == (1 + 3) + (1 + 2 + 2)


def test_key_patterns_replace_ids_keep_the_shape():
    assert key_pattern("ORG#org_01HXYZ#AUDIT") == "ORG#{id}#AUDIT"
    assert key_pattern("FLEETROCK#int_01H#EVENT#evt-cap-3") == "FLEETROCK#{id}#EVENT#{event}"
    assert key_pattern("JOBIMPORT#org_01H#sha256:" + "a" * 64) == "JOBIMPORT#{id}#{hash}"
    assert key_pattern("FRINBOXDUE#3") == "FRINBOXDUE#{shard}"
    assert key_pattern("GEO#dr5") == "GEO#{cell}"
    assert key_pattern("FLEETPARTNER#org_01H#RTHYA") == "FLEETPARTNER#{id}#{partner}"
    assert key_pattern("ORG#org_01H#JOBS#PARTNER#RTHYA") == "ORG#{id}#JOBS#PARTNER#{partner}"
    assert key_pattern("ORG#org_01H#ASSETS#in_shop") == "ORG#{id}#ASSETS#in_shop"
    assert key_pattern("ORG#org_01H#JOBS#7") == "ORG#{id}#JOBS#{shard}"
    assert key_pattern("ORG#org_01H#JOBS#ASSIGNED#0") == "ORG#{id}#JOBS#ASSIGNED#{shard}"
    assert key_pattern("ORG#org_01H#JOBS#PARTNER#RTHYA#3") == "ORG#{id}#JOBS#PARTNER#{partner}#{shard}"
    assert key_pattern("ORG#org_01H#PJOBS#5") == "ORG#{id}#PJOBS#{shard}"


def test_written_keys_of_each_write_call():
    key = {"pk": {"S": "A"}, "sk": {"S": "1"}}
    assert write_keys("PutItem", {"Item": {**key, "x": {"S": "y"}}}) == [("A", "1", False)]
    assert write_keys("TransactWriteItems", {"TransactItems": [
        {"Put": {"Item": key}}, {"ConditionCheck": {"Key": key}}, {"Delete": {"Key": key}}]}) == [
        ("A", "1", True), ("A", "1", True)]
    assert write_keys("BatchWriteItem", {"RequestItems": {"t": [{"PutRequest": {"Item": key}},
                                                               {"DeleteRequest": {"Key": key}}]}}) == [
        ("A", "1", False), ("A", "1", False)]
    query = {"IndexName": "gsi1", "KeyConditionExpression": "#0 = :0 AND begins_with(#1, :1)",
             "ExpressionAttributeNames": {"#0": "gsi1pk", "#1": "gsi1sk"},
             "ExpressionAttributeValues": {":0": {"S": "GEO#9q8"}, ":1": {"S": "9q8y"}}}
    assert read_key("Query", query) == "gsi1:GEO#{cell}"
