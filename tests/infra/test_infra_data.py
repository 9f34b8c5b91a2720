"""The CRM table: keys as the DAL builds them, and the protections a customer database needs."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.infra


def _table(synth):
    return synth.one("AWS::DynamoDB::Table")


def test_table_keys_gsi_and_ttl_match_the_contract(synth):
    props = _table(synth)["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert props["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "gsi1",
            "KeySchema": [
                {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"


def test_table_matches_the_data_layers_schema(synth):
    """The table the DAL creates locally and the one CDK deploys are the same shape."""
    from pitstop.dal import keys
    from pitstop.dal.table import TABLE_SCHEMA

    props = _table(synth)["Properties"]
    assert props["KeySchema"] == TABLE_SCHEMA["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(
        TABLE_SCHEMA["AttributeDefinitions"], key=str
    )
    assert props["GlobalSecondaryIndexes"] == TABLE_SCHEMA["GlobalSecondaryIndexes"]
    assert props["TimeToLiveSpecification"]["AttributeName"] == keys.TTL


def test_table_is_protected(synth):
    table = _table(synth)
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
