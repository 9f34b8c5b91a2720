"""Fixtures for reminder runs: a Los Angeles shop, a busy day, and Twilio with its HTTP recorded.

The recorder replaces only twilio's HTTP client, so the real `twilio.rest.Client` builds the
request exactly as Twilio would receive it, and tests assert on that request.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from pitstop.dal import keys
from pitstop.dal.reminders import ReminderRepository
from pitstop.dal.table import to_item
from pitstop.models import (
    Appointment,
    AppointmentStatus,
    Bay,
    Customer,
    OpeningHours,
    ReminderStatus,
    ServiceType,
    Shop,
)
from pitstop.reminders import ReminderPolicy
from pitstop.telephony import TwilioTelephony

ACCOUNT_SID = "AC" + "1" * 32
FROM_NUMBER = "+15005550006"
LA = ZoneInfo("America/Los_Angeles")
# 02:00 UTC on 1 Dec is 18:00 on 30 Nov in Los Angeles: "tomorrow" there is 1 Dec, not 2 Dec.
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TOMORROW = date(2026, 12, 1)
BAYS = [f"B{n:02d}" for n in range(1, 31)]


class FakeClock:
    """Monotonic seconds that only move when the run sleeps (or a test advances them)."""

    def __init__(self):
        self.t = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.t += seconds


class RecordingHttpClient(HttpClient):
    """twilio's HTTP layer, replaced: records each request and answers like Twilio (201, a call)."""

    def __init__(self, clock: FakeClock | None = None, fail_for: set[str] = frozenset()):
        super().__init__(logger=logging.getLogger("twilio-recorder"), is_async=False)
        self.requests: list[dict] = []
        self.clock = clock
        self.fail_for = set(fail_for)
        self.fail_status = 400
        self.now = NOW  # Twilio's wall clock: a call's date_created / start_time
        self._placed: list[dict] = []  # Call resources as Twilio lists them
        self._lock = threading.Lock()

    def request(
        self,
        method,
        uri,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        data = dict(data or {})
        if method == "GET" and uri.endswith("/Calls.json"):
            return self._list(uri, dict(params or {}))
        with self._lock:
            sid = f"CA{len(self.requests) + 1:032x}"
            self.requests.append(
                {
                    "method": method,
                    "url": uri,
                    "data": data,
                    "auth": auth,
                    "at": self.clock.monotonic() if self.clock else None,
                    "sid": sid,
                }
            )
        if data.get("To") in self.fail_for:
            return Response(
                self.fail_status,
                json.dumps({"code": 21211, "message": "Refused", "status": self.fail_status}),
            )
        body = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": data.get("To"),
            "from": data.get("From"),
            "status": "queued",
            "direction": "outbound-api",
            "date_created": format_datetime(self.now.astimezone(UTC), usegmt=True),
            # Dialled at once (paced within Twilio's limit): it has a start time to filter on.
            "start_time": format_datetime(self.now.astimezone(UTC), usegmt=True),
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json",
        }
        with self._lock:
            self._placed.append({**body, "_started": self.now.astimezone(UTC)})
        return Response(201, json.dumps(body))

    def _list(self, uri: str, params: dict) -> Response:
        """Twilio's Calls list: `To`/`From` exact, `StartTime>` by UTC *date* (as Twilio
        documents it: `YYYY-MM-DD`, a time of day is ignored), newest first, one page."""
        with self._lock:
            self.requests.append({"method": "GET", "url": uri, "params": params, "sid": None})
            placed = list(self._placed)
        after = params.get("StartTime>")
        day = datetime.fromisoformat(after.replace("Z", "+00:00")).date() if after else None
        calls = [
            {k: v for k, v in c.items() if not k.startswith("_")}
            for c in reversed(placed)
            if c["to"] == params.get("To", c["to"])
            and c["from"] == params.get("From", c["from"])
            and (day is None or c["_started"].date() >= day)
        ]
        page = {
            "calls": calls,
            "first_page_uri": uri,
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": 50,
            "start": 0,
            "end": max(len(calls) - 1, 0),
            "uri": uri,
        }
        return Response(200, json.dumps(page))

    @property
    def calls(self) -> list[dict]:
        """The calls placed (`POST …/Calls.json`), not the list queries."""
        return [
            r for r in self.requests if r["url"].endswith("/Calls.json") and r["method"] == "POST"
        ]

    def appointment_ids(self) -> list[str]:
        return [parse_qs(urlparse(r["data"]["Url"]).query)["appointment_id"][0] for r in self.calls]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def recorder(clock) -> RecordingHttpClient:
    return RecordingHttpClient(clock)


@pytest.fixture
def twilio(recorder) -> TwilioTelephony:
    return TwilioTelephony(
        FROM_NUMBER, client=Client(ACCOUNT_SID, "test-auth-token", http_client=recorder)
    )


@pytest.fixture
def policy() -> ReminderPolicy:
    return ReminderPolicy(
        calls_per_second=1000,
        max_attempts=3,
        retry_gap=timedelta(minutes=30),
        lease=timedelta(minutes=15),
    )


@pytest.fixture
def shop(crm) -> Shop:
    hours = OpeningHours(opens=time(8), closes=time(18))
    shop = Shop(
        shop_id=crm.settings.shop_id,
        name="Pitstop West",
        timezone="America/Los_Angeles",
        phone="+13105550100",
        opening_hours={d: hours for d in ("mon", "tue", "wed", "thu", "fri")},
        calling_hours=OpeningHours(opens=time(9), closes=time(20)),
    )
    crm.shops.put_shop(shop)
    crm.shops.put_service(
        ServiceType(
            code="oil_change",
            name="Oil change",
            duration_minutes=30,
            price_min=40,
            price_max=80,
            bays=BAYS,
        )
    )
    for bay in BAYS:
        crm.shops.put_bay(Bay(bay=bay, name=bay))
    return shop


@pytest.fixture
def repository(crm) -> ReminderRepository:
    return ReminderRepository(crm.table, crm.settings.shop_id)


@dataclass
class Day:
    """The appointments the test wrote, and which of them a correct run dials."""

    appointments: list[Appointment] = field(default_factory=list)
    expected: set[str] = field(default_factory=set)
    skipped: dict[str, str] = field(default_factory=dict)  # appointment_id → reason
    phones: dict[str, str] = field(default_factory=dict)  # appointment_id → customer's phone


class Builder:
    """Writes customers and appointments as the data layer stores them.

    Plain puts (batched) rather than the booking transactions: moto copies the whole table for
    every item of a transaction, which makes seeding hundreds of appointments take minutes.
    Reminders read appointments by day and never look at bay slots, so nothing is lost.
    """

    def __init__(self, crm):
        self.crm = crm
        self.count = 0
        self._writer = None

    def __enter__(self):
        self._writer = self.crm.table.batch_writer()
        self._writer.__enter__()
        return self

    def __exit__(self, *exc):
        writer, self._writer = self._writer, None
        return writer.__exit__(*exc)

    def _put(self, item: dict) -> None:
        (self._writer or self.crm.table).put_item(Item=item)

    def customer(self, do_not_call: bool = False) -> Customer:
        self.count += 1
        customer = Customer(
            customer_id=f"cus_{self.count:06d}",
            name=f"Customer {self.count}",
            phone=f"+1310555{self.count:04d}",
            do_not_call=do_not_call,
        )
        self._put(
            {
                keys.PK: keys.phone(customer.phone),
                keys.SK: keys.PHONE_OWNER,
                "customer_id": customer.customer_id,
            }
        )
        self._put(to_item(customer, pk=keys.customer(customer.customer_id), sk=keys.PROFILE))
        return customer

    def appointment(
        self, customer: Customer, day: date, index: int, tz=LA, **fields
    ) -> Appointment:
        start = datetime.combine(day, time(8), tzinfo=tz) + timedelta(
            minutes=30 * (index // len(BAYS))
        )
        appointment = Appointment(
            appointment_id=f"apt_{day:%m%d}_{index:04d}",
            shop_id=self.crm.settings.shop_id,
            customer_id=customer.customer_id,
            vehicle_id=f"veh_{customer.customer_id[4:]}",
            service_type="oil_change",
            bay=BAYS[index % len(BAYS)],
            start=start,
            end=start + timedelta(minutes=30),
            **fields,
        )
        self._put(self.crm.appointments._item(appointment))
        return appointment


@pytest.fixture
def builder(crm) -> Builder:
    return Builder(crm)


def build_day(crm, builder: Builder, size: int = 300, day: date = TOMORROW) -> Day:
    """`size` appointments on `day`: cancelled, confirmed, do-not-call, already reminded, due."""
    result = Day()
    with builder:
        do_not_call = builder.customer(do_not_call=True)
        for i in range(size):
            customer = do_not_call if i % 25 == 2 else builder.customer()
            fields, reason = {}, None
            if i % 10 == 0:
                fields, reason = {"status": AppointmentStatus.CANCELLED}, "cancelled"
            elif i % 10 == 1:
                fields, reason = {"status": AppointmentStatus.CONFIRMED}, "already_confirmed"
            elif i % 25 == 2:
                reason = "do_not_call"
            elif i % 20 == 3:
                fields = {
                    "reminder_status": ReminderStatus.ANSWERED,
                    "reminder_attempts": 1,
                    "reminder_call_sid": f"CAearlier{i}",
                }
                reason = "already_reminded"
            elif i % 20 == 7:  # a run crashed after claiming: its lease has lapsed, so it is due
                fields = {
                    "reminder_status": ReminderStatus.CLAIMED,
                    "reminder_claimed_until": NOW - timedelta(minutes=1),
                }
            appointment = builder.appointment(customer, day, i, **fields)
            result.appointments.append(appointment)
            result.phones[appointment.appointment_id] = customer.phone
            if reason:
                result.skipped[appointment.appointment_id] = reason
            else:
                result.expected.add(appointment.appointment_id)
    return result


@pytest.fixture
def busy_day(crm, shop, builder) -> Day:
    """300 appointments tomorrow (LA), plus decoys the day before and after (never dialled)."""
    day = build_day(crm, builder, 300)
    with builder:
        for other in (TOMORROW - timedelta(days=1), TOMORROW + timedelta(days=1)):
            for i in range(5):
                builder.appointment(builder.customer(), other, i)
    return day


@pytest.fixture
def small_day(crm, shop, builder) -> Day:
    """The same mix as `busy_day` at 60 appointments, for tests where the size adds nothing."""
    return build_day(crm, builder, 60)
