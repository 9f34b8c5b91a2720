"""The local DynamoDB's partition-scoped moto (`pitstop_local.dynamodb`) answers as DynamoDB does.

Over real HTTP against the session's LocalDynamoDB (the patched moto): a Query sees exactly its
partition, in order, both ways and across pages; an index Query sees its index partition in index
order; a cancelled transaction leaves every item as it was; and a Query's cost does not grow
with the rest of the table.
"""

from __future__ import annotations

import time

import pytest
from boto3.dynamodb.conditions import Key

from pitstop.dal import keys
from pitstop.dal.table import table_for


@pytest.fixture
def table(settings):
    return table_for(settings)


def _fill(table, partitions: int, per_partition: int) -> None:
    with table.batch_writer() as batch:
        for p in range(partitions):
            for s in range(per_partition):
                batch.put_item(
                    Item={
                        keys.PK: f"P#{p:04d}",
                        keys.SK: f"S#{s:04d}",
                        keys.GSI1_PK: f"G#{s % 3}",
                        keys.GSI1_SK: f"{p:04d}-{s:04d}",
                    }
                )


def test_a_query_reads_its_partition_in_order_both_ways_and_across_pages(table):
    _fill(table, partitions=5, per_partition=7)
    forward = table.query(KeyConditionExpression=Key(keys.PK).eq("P#0002"))["Items"]
    assert [i[keys.SK] for i in forward] == [f"S#{s:04d}" for s in range(7)]
    assert {i[keys.PK] for i in forward} == {"P#0002"}
    backward = table.query(
        KeyConditionExpression=Key(keys.PK).eq("P#0002") & Key(keys.SK).gte("S#0003"),
        ScanIndexForward=False,
    )["Items"]
    assert [i[keys.SK] for i in backward] == ["S#0006", "S#0005", "S#0004", "S#0003"]
    first = table.query(KeyConditionExpression=Key(keys.PK).eq("P#0004"), Limit=4)
    rest = table.query(
        KeyConditionExpression=Key(keys.PK).eq("P#0004"),
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    assert [i[keys.SK] for i in first["Items"] + rest["Items"]] == [f"S#{s:04d}" for s in range(7)]


def test_an_index_query_reads_the_index_partition_in_index_order(table):
    _fill(table, partitions=4, per_partition=6)
    items = table.query(IndexName=keys.GSI1, KeyConditionExpression=Key(keys.GSI1_PK).eq("G#1"))[
        "Items"
    ]
    expected = sorted(f"{p:04d}-{s:04d}" for p in range(4) for s in range(6) if s % 3 == 1)
    assert [i[keys.GSI1_SK] for i in items] == expected


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table):
    _fill(table, partitions=3, per_partition=2)
    client = table.meta.client  # the resource's client: plain Python values
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table.name,
                        "Key": {keys.PK: "P#0000", keys.SK: "S#0000"},
                        "UpdateExpression": "SET touched = :yes",
                        "ExpressionAttributeValues": {":yes": True},
                    }
                },
                {
                    "Put": {
                        "TableName": table.name,
                        "Item": {keys.PK: "P#0001", keys.SK: "S#0001"},
                        "ConditionExpression": "attribute_not_exists(pk)",  # exists: cancels
                    }
                },
            ]
        )
    kept = table.get_item(Key={keys.PK: "P#0000", keys.SK: "S#0000"})["Item"]
    assert "touched" not in kept
    assert table.get_item(Key={keys.PK: "P#0001", keys.SK: "S#0001"})["Item"][keys.GSI1_PK]
    assert len(table.query(KeyConditionExpression=Key(keys.PK).eq("P#0002"))["Items"]) == 2


def _query_seconds(table, runs: int = 20) -> float:
    started = time.perf_counter()
    for _ in range(runs):
        table.query(KeyConditionExpression=Key(keys.PK).eq("P#0000"))
    return (time.perf_counter() - started) / runs


def test_a_query_costs_the_same_however_large_the_rest_of_the_table(table):
    _fill(table, partitions=1, per_partition=5)
    small = _query_seconds(table)
    _fill(table, partitions=400, per_partition=10)  # 4,000 items elsewhere
    # moto as shipped sorts all 4,000 items per Query (~10x slower here); a partition's Query
    # stays within noise of the empty table's. The bound leaves room for a busy machine.
    assert _query_seconds(table) < small * 3 + 0.01
