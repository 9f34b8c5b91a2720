"""One vehicle, one place at a time (even under a race), and datetimes outside the calendar."""

from __future__ import annotations

import pytest

from pitstop.dal import keys

from .conftest import ALEX, MONDAY, assert_consistent, at, table_items
from .test_tools_booking import _race


def test_ten_concurrent_bookings_of_one_car_at_one_time_have_one_winner(tool, shop):
    # Five oil-change bays: each racer asks for one of them, so the bays alone would let five in.
    bays = [f"bay{n}" for n in range(1, 6)] * 2
    args = {"service_type": "oil_change", "start": at(MONDAY, 11), "vehicle_id": "veh_alex"}
    # Each from its own call: the same request twice on one call is answered once (once.py).
    calls = [ALEX.model_copy(update={"call_sid": f"CAcar{i}"}) for i in range(len(bays))]
    results = _race(
        [
            lambda b=b, c=c: tool("book_appointment", {**args, "bay": b}, c)
            for b, c in zip(bays, calls, strict=True)
        ]
    )

    winners = [r for r in results if r["ok"]]
    assert len(winners) == 1, results
    assert {r["error"] for r in results if not r["ok"]} == {"already_booked"}
    won = winners[0]["appointment"]["appointment_id"]
    assert {r["appointment_id"] for r in results if not r["ok"]} == {won}
    upcoming = tool("get_upcoming_appointments", {})["appointments"]
    assert [a["appointment_id"] for a in upcoming] == [won]
    assert_consistent(shop)


def test_an_overlapping_time_of_the_same_car_is_refused_in_the_transaction(tool, shop):
    """Two overlapping bookings that each read the file before the other wrote it."""
    long = {"service_type": "brake_service", "vehicle_id": "veh_alex"}
    first, second = _race(
        [
            lambda: tool("book_appointment", {**long, "start": at(MONDAY, 10)}),
            lambda: tool("book_appointment", {**long, "start": at(MONDAY, 10, 30)}),
        ]
    )
    assert sorted([first["ok"], second["ok"]]) == [False, True]


def test_cancelling_frees_the_cars_time(tool, shop):
    args = {"service_type": "oil_change", "start": at(MONDAY, 11), "vehicle_id": "veh_alex"}
    booked = tool("book_appointment", args)["appointment"]["appointment_id"]
    held = [i for i in table_items(shop) if i[keys.PK].startswith(keys.VEHICLE_TIME)]
    assert [i["appointment_id"] for i in held] == [booked]
    tool("cancel_appointment", {"appointment_id": booked})
    assert not [i for i in table_items(shop) if i[keys.PK].startswith(keys.VEHICLE_TIME)]
    assert tool("book_appointment", {**args, "bay": "bay2"})["ok"]


def test_rescheduling_moves_the_cars_time(tool, shop):
    args = {"service_type": "oil_change", "vehicle_id": "veh_alex"}
    first = tool("book_appointment", {**args, "start": at(MONDAY, 9)})["appointment"]
    moved = tool(
        "reschedule_appointment",
        {"appointment_id": first["appointment_id"], "new_start": at(MONDAY, 14)},
    )
    assert moved["ok"], moved
    held = sorted(i[keys.SK] for i in table_items(shop) if i[keys.PK].startswith(keys.VEHICLE_TIME))
    assert held == ["14:00"]  # the car's time moved with the appointment
    # 9:00 is free for the car again; 14:00 is not.
    assert tool("book_appointment", {**args, "start": at(MONDAY, 9), "bay": "bay3"})["ok"]
    again = tool("book_appointment", {**args, "start": at(MONDAY, 14), "bay": "bay4"})
    assert again["error"] == "already_booked"


@pytest.mark.parametrize(
    "start",
    [
        "9999-12-31T23:30:00",
        "9999-12-31T23:30:00-05:00",
        "0001-01-01T00:00:00",
        "0001-01-01T00:00:00+14:00",
    ],
)
@pytest.mark.parametrize(
    ("name", "field"), [("book_appointment", "start"), ("reschedule_appointment", "new_start")]
)
def test_datetimes_outside_the_calendar_are_422_not_500(invoke, shop, start, name, field):
    arguments = {"service_type": "oil_change", "vehicle_id": "veh_alex", "appointment_id": "apt_x"}
    allowed = {
        "book_appointment": {"service_type", "vehicle_id"},
        "reschedule_appointment": {"appointment_id"},
    }[name]
    body = {
        "arguments": {**{k: v for k, v in arguments.items() if k in allowed}, field: start},
        "context": ALEX.model_dump(),
    }
    status, reply = invoke("POST", f"/tools/{name}", body)
    assert status == 422, reply
    assert reply["error"] == "invalid_arguments"
    assert [e["loc"] for e in reply["detail"]] == [[field]]
