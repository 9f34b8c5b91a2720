"""The availability search on its own: opening hours, holidays, bay capability, the past, order."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from pitstop.models import OpeningHours, ServiceType, Shop
from pitstop.tools.availability import capable_bays, find_slots

TZ = ZoneInfo("America/New_York")
MON = date(2026, 11, 30)  # a Monday
WED = date(2026, 12, 2)


@pytest.fixture
def shop() -> Shop:
    weekday = OpeningHours(opens=time(8), closes=time(18))
    return Shop(
        shop_id="t",
        name="Test",
        phone="+15551239000",
        timezone="America/New_York",
        opening_hours={
            "mon": weekday,
            "tue": weekday,
            "wed": weekday,
            "thu": weekday,
            "fri": weekday,
            "sat": OpeningHours(opens=time(9), closes=time(13)),
            "sun": None,
        },
        holidays=[WED],
    )


def svc(minutes=30, bays=("bay1", "bay2")) -> ServiceType:
    return ServiceType(
        code="x", name="X", duration_minutes=minutes, price_min=1, price_max=2, bays=list(bays)
    )


LONG_AGO = datetime(2026, 1, 1, tzinfo=TZ)


class Reads:
    """A fake `taken_for` that records which days were read."""

    def __init__(self, taken=None):
        self.taken = taken or {}
        self.days = []

    def __call__(self, day):
        self.days.append(day)
        return self.taken.get(day, set())


def test_first_slot_is_opening_time_and_nearest_day_is_read_once(shop):
    reads = Reads()
    slots = find_slots(shop, svc(), ["bay1", "bay2"], MON, "any", reads, LONG_AGO, 3)
    assert [s.start for s in slots] == [
        datetime(2026, 11, 30, h, m, tzinfo=TZ) for h, m in ((8, 0), (8, 30), (9, 0))
    ]
    assert reads.days == [MON]


def test_holiday_and_closed_day_are_skipped_without_a_read(shop):
    reads = Reads()
    sunday = date(2026, 12, 6)
    slots = find_slots(shop, svc(), ["bay1"], WED, "any", reads, LONG_AGO, 1)
    assert slots[0].start.date() == date(2026, 12, 3)
    assert WED not in reads.days
    slots = find_slots(shop, svc(), ["bay1"], sunday, "any", Reads(), LONG_AGO, 1)
    assert slots[0].start.date() == date(2026, 12, 7)


def test_slots_fit_before_closing(shop):
    saturday = date(2026, 12, 5)
    slots = find_slots(shop, svc(90), ["bay1"], saturday, "any", Reads(), LONG_AGO, 10, days=1)
    assert slots[-1].end == datetime(2026, 12, 5, 13, tzinfo=TZ)
    assert all(s.end.time() <= time(13) for s in slots)
    assert len(slots) == 6  # 9:00, 9:30 … 11:30


def test_only_capable_bays_are_offered(shop):
    # bay1 can do it and is busy all morning; bay3 is idle but not equipped.
    taken = {MON: {("bay1", f"{h:02d}:{m:02d}") for h in range(8, 12) for m in (0, 30)}}
    service = svc(30, bays=["bay1"])
    slots = find_slots(
        shop,
        service,
        capable_bays(service, {"bay1": 1, "bay3": 1}),
        MON,
        "any",
        Reads(taken),
        LONG_AGO,
        1,
    )
    assert (slots[0].bay, slots[0].start.time()) == ("bay1", time(12))


def test_capable_bays_ignore_bays_the_shop_does_not_have():
    assert capable_bays(svc(bays=["bay9", "bay2", "bay1"]), {"bay1": 1, "bay2": 1}) == [
        "bay1",
        "bay2",
    ]


def test_a_second_bay_is_used_when_the_first_is_taken(shop):
    taken = {MON: {("bay1", "08:00")}}
    slots = find_slots(shop, svc(), ["bay1", "bay2"], MON, "08:00", Reads(taken), LONG_AGO, 1)
    assert (slots[0].bay, slots[0].start.time()) == ("bay2", time(8))


def test_a_long_service_needs_every_granule_free(shop):
    taken = {MON: {("bay1", "09:00")}}
    slots = find_slots(shop, svc(60), ["bay1"], MON, "any", Reads(taken), LONG_AGO, 10, days=1)
    starts = {s.start.time() for s in slots}
    assert time(8, 30) not in starts and time(9) not in starts
    assert {time(8), time(9, 30)} <= starts


def test_never_in_the_past(shop):
    now = datetime(2026, 11, 30, 10, 10, tzinfo=TZ)
    slots = find_slots(shop, svc(), ["bay1"], MON, "any", Reads(), now, 1)
    assert slots[0].start == datetime(2026, 11, 30, 10, 30, tzinfo=TZ)


def test_after_closing_moves_to_the_next_open_day_without_reading_today(shop):
    now = datetime(2026, 11, 30, 18, 5, tzinfo=TZ)
    reads = Reads()
    slots = find_slots(shop, svc(), ["bay1"], MON, "any", reads, now, 1)
    assert slots[0].start == datetime(2026, 12, 1, 8, tzinfo=TZ)
    assert reads.days == [date(2026, 12, 1)]


@pytest.mark.parametrize(
    ("wish", "first"),
    [("afternoon", time(12)), ("morning", time(8)), ("14:30", time(14, 30)), ("any", time(8))],
)
def test_nearest_to_the_wish_first(shop, wish, first):
    slots = find_slots(shop, svc(), ["bay1"], MON, wish, Reads(), LONG_AGO, 3)
    assert slots[0].start.time() == first


def test_clock_wish_orders_by_distance(shop):
    taken = {MON: {("bay1", "14:30")}}
    slots = find_slots(shop, svc(), ["bay1"], MON, "14:30", Reads(taken), LONG_AGO, 3)
    assert [s.start.time() for s in slots] == [time(14), time(15), time(13, 30)]


def test_max_results_and_a_full_day_rolls_over(shop):
    full = {MON: {("bay1", f"{h:02d}:{m:02d}") for h in range(8, 18) for m in (0, 30)}}
    reads = Reads(full)
    slots = find_slots(shop, svc(), ["bay1"], MON, "any", reads, LONG_AGO, 2)
    assert len(slots) == 2
    assert all(s.start.date() == date(2026, 12, 1) for s in slots)
    assert reads.days == [MON, date(2026, 12, 1)]


def test_looks_at_most_a_week_ahead(shop):
    booked_solid = {("bay1", f"{h:02d}:{m:02d}") for h in range(8, 18) for m in (0, 30)}
    everything = {date.fromordinal(MON.toordinal() + i): booked_solid for i in range(10)}
    reads = Reads(everything)
    assert find_slots(shop, svc(), ["bay1"], MON, "any", reads, LONG_AGO, 3) == []
    assert len(reads.days) <= 7
