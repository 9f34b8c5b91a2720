"""`$connect` and `$disconnect`: a real Cognito token (moto) opens the live view, stored with a
TTL in the table (moto over HTTP); anything else is refused before a connection is kept."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.live import connect, disconnect
from pitstop.dal import Crm
from pitstop.dal.connections import ConnectionRepository
from tests.integration.live.conftest import context, websocket_event


def _connect(token: str | None, connection_id: str = "L0SM9cOFvHcCIhw=") -> int:
    query = None if token is None else {"token": token}
    event = websocket_event("$connect", connection_id, query)
    return int(connect.lambda_handler(event, context("live-connect"))["statusCode"])


def _connections(crm: Crm) -> ConnectionRepository:
    return ConnectionRepository(crm.table, crm.settings.shop_id)


def test_staff_token_opens_the_live_view_and_is_kept_with_a_ttl(live_env, crm: Crm):
    token = live_env["pool"].token("adam@shop.test", ["advisors"])
    assert _connect(token) == 200
    repo = _connections(crm)
    assert repo.ids(datetime.now(UTC)) == ["L0SM9cOFvHcCIhw="]
    (item,) = crm.table.query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "LIVE#demo"}
    )["Items"]
    assert item["user"] == "adam@shop.test"
    assert 0 < int(item["ttl"]) - datetime.now(UTC).timestamp() <= 2 * 3600


def test_no_token_or_a_forged_one_is_401_and_stores_nothing(live_env, crm: Crm):
    real = live_env["pool"].token("olive@shop.test", ["owners"])
    header, _, signature = real.split(".")
    forged = (
        f"{header}.eyJ1c2VybmFtZSI6Im1hbGxvcnkiLCJjb2duaXRvOmdyb3VwcyI6WyJvd25lcnMiXX0.{signature}"
    )
    for token in (None, "", "not-a-jwt", forged):
        assert _connect(token) == 401, token
    assert _connections(crm).ids(datetime.now(UTC)) == []


def test_a_token_of_another_pool_is_refused(live_env, crm: Crm):
    """GetUser accepts any pool's token: the issuer and client checks are what keep it out."""
    stranger = live_env["other_pool"].token("eve@elsewhere.test", ["owners"])
    assert _connect(stranger) == 401
    assert _connections(crm).ids(datetime.now(UTC)) == []


def test_a_user_in_no_staff_group_is_403(live_env, crm: Crm):
    token = live_env["pool"].token("temp@shop.test", [])
    assert _connect(token) == 403
    assert _connections(crm).ids(datetime.now(UTC)) == []


def test_disconnect_forgets_the_connection(live_env, crm: Crm):
    token = live_env["pool"].token("adam@shop.test", ["advisors"])
    assert _connect(token, "conn-a") == 200 and _connect(token, "conn-b") == 200
    event = websocket_event("$disconnect", "conn-a")
    assert disconnect.lambda_handler(event, context("live-disconnect")) == {"statusCode": 200}
    assert _connections(crm).ids(datetime.now(UTC)) == ["conn-b"]
