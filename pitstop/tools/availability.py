"""Finding free bay time: the search behind `check_availability` and `slot_taken` alternatives.

The search is pure (taken granules come from a callable) so its edge cases are unit-testable
without a table. It reads one day at a time, only for days the shop is open, and stops as soon
as the nearest days have yielded enough slots: a typical answer costs one Query of `SLOTS#`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field

from pitstop.i18n import text
from pitstop.i18n.formats import listed, spoken_day, spoken_time
from pitstop.models import Bay, ServiceType, Shop
from pitstop.scheduling import granules
from pitstop.tools.context import Refused, ToolEnv
from pitstop.tools.schema import Arguments, Refusal, Result
from pitstop.tools.views import SlotView

SEARCH_DAYS = 7  # how far forward from the wished-for day we look
BOOKING_HORIZON_DAYS = 120
NOON = time(12)
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

TakenFor = Callable[[date], set[tuple[str, str]]]


class UnknownService(Refusal):
    """No such service here; the codes of those the shop offers."""

    services: list[str]


class PastDate(Refusal):
    """The wished-for day has passed; today's date, so the agent can resolve a new one."""

    today: str


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    bay: str


def capable_bays(service: ServiceType, known_bays: Mapping[str, Bay] | None = None) -> list[str]:
    """Bays equipped for the service (restricted to the shop's bays when it lists them)."""
    bays = [b for b in service.bays if not known_bays or b in known_bays]
    return sorted(bays)


def _wish_distance(start: time, wish: str) -> int:
    """Minutes between a start time and the caller's wish (0 inside a morning/afternoon window)."""
    minutes, noon = start.hour * 60 + start.minute, NOON.hour * 60
    if wish == "morning":
        return 0 if minutes < noon else minutes - noon + 30
    if wish == "afternoon":
        return 0 if minutes >= noon else noon - minutes
    match = _HHMM.match(wish)
    if match:
        return abs(minutes - (int(match[1]) * 60 + int(match[2])))
    return 0  # "any": every time is as good, the earliest comes first


def free_bay(bays: list[str], hhmms: list[str], taken: set[tuple[str, str]]) -> str | None:
    """The first bay whose every granule is free."""
    for bay in bays:
        if all((bay, t) not in taken for t in hhmms):
            return bay
    return None


def find_slots(
    shop: Shop,
    service: ServiceType,
    bays: list[str],
    first_day: date,
    wish: str,
    taken_for: TakenFor,
    now: datetime,
    max_results: int = 3,
    days: int = SEARCH_DAYS,
) -> list[Slot]:
    """Up to `max_results` free slots, nearest to the wish: nearest day first, then nearest time.

    Only opening hours count (holidays and closed weekdays are skipped without a read); a slot
    must fit before closing, in a bay equipped for the service, and start after `now`.
    """
    tz = ZoneInfo(shop.timezone)
    step = timedelta(minutes=shop.slot_minutes)
    length = timedelta(minutes=service.duration_minutes)
    found: list[Slot] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        hours = shop.hours_on(day)
        if hours is None or not bays:
            continue
        closes = datetime.combine(day, hours.closes, tzinfo=tz)
        at = datetime.combine(day, hours.opens, tzinfo=tz)
        if at + length > closes or closes <= now:
            continue
        taken = taken_for(day)
        candidates: list[Slot] = []
        while at + length <= closes:
            if at > now:
                bay = free_bay(bays, granules(at, at + length, shop.slot_minutes), taken)
                if bay:
                    candidates.append(Slot(at, at + length, bay))
            at += step
        candidates.sort(key=lambda s: (_wish_distance(s.start.timetz(), wish), s.start))
        found.extend(candidates)
        if len(found) >= max_results:
            break
    return found[:max_results]


def check_start(env: ToolEnv, service: ServiceType, start: datetime) -> datetime:
    """Validate a requested start (shop time); returns its end or raises a spoken refusal."""
    shop = env.catalog.shop
    end = start + timedelta(minutes=service.duration_minutes)
    if start <= env.now:
        raise Refused(
            Refusal(
                error="in_the_past",
                message=_say(env, "time_passed", today=_day(env, env.now.date())),
            )
        )
    if start.date() > env.now.date() + timedelta(days=BOOKING_HORIZON_DAYS):
        raise Refused(_too_far_ahead(env))
    hours = shop.hours_on(start.date())
    if hours is None:
        why = "closed_holiday" if start.date() in shop.holidays else "closed_that_day"
        raise Refused(Refusal(error="shop_closed", message=_say(env, why)))
    opens = datetime.combine(start.date(), hours.opens, tzinfo=start.tzinfo)
    closes = datetime.combine(start.date(), hours.closes, tzinfo=start.tzinfo)
    if start < opens or end > closes:
        raise Refused(
            Refusal(
                error="outside_opening_hours",
                message=_say(
                    env,
                    "outside_hours",
                    opens=spoken_time(hours.opens, _lang(env)),
                    closes=spoken_time(hours.closes, _lang(env)),
                    service=service.name.lower(),
                    minutes=service.duration_minutes,
                ),
            )
        )
    if start.second or start.microsecond or (start.minute % shop.slot_minutes):
        raise Refused(Refusal(error="invalid_time", message=_say(env, "invalid_time")))
    return end


def service_or_refuse(env: ToolEnv, service_type: str) -> ServiceType:
    service = env.catalog.service(service_type)
    if service is None:
        names = listed([s.name for s in env.catalog.services.values()], _lang(env))
        raise Refused(
            UnknownService(
                error="unknown_service",
                message=_say(env, "unknown_service", services=names),
                services=sorted(env.catalog.services),
            )
        )
    return service


def taken_reader(env: ToolEnv) -> TakenFor:
    shop_id = env.catalog.shop.shop_id
    return lambda day: env.crm.appointments.taken(shop_id, day)


def _lang(env: ToolEnv) -> str:
    return env.catalog.settings.language


def _say(env: ToolEnv, key: str, **values: object) -> str:
    """A tool phrasing (`tools.<key>` of the language packs) in the shop's language."""
    return text(_lang(env), f"tools.{key}", **values)


def _day(env: ToolEnv, day: date) -> str:
    return spoken_day(day, _lang(env))


def _too_far_ahead(env: ToolEnv) -> Refusal:
    return Refusal(
        error="invalid_date", message=_say(env, "too_far_ahead", days=BOOKING_HORIZON_DAYS)
    )


# --- the tool ------------------------------------------------------------------------------
class CheckAvailabilityArgs(Arguments):
    service_type: str = Field(
        description="The service wanted, e.g. 'oil change', 'tire rotation' "
        "or its code such as 'oil_change'."
    )
    preferred_date: date = Field(
        description="The day the caller would like, YYYY-MM-DD, in the shop's "
        "local calendar. Resolve words like 'tomorrow' or 'next Tuesday' first."
    )
    preferred_time_of_day: Annotated[
        str,
        Field(
            pattern=r"^(morning|afternoon|any|([01]\d|2[0-3]):[0-5]\d)$",
            description="'morning', 'afternoon', 'any', "
            "or a clock time HH:MM (24-hour) if the caller named one.",
        ),
    ] = "any"
    max_results: int = Field(
        default=3, ge=1, le=10, description="How many options to offer (default 3)."
    )


class CheckAvailabilityResult(Result):
    service_type: str
    duration_minutes: int
    slots: list[SlotView]
    message: str


CHECK_AVAILABILITY = (
    "Find free appointment times for a service. Use it before booking or rescheduling, whenever "
    "the caller asks when they can come in. Returns up to max_results concrete slots, nearest to "
    "the wished day and time first, looking up to a week ahead and skipping closed days and "
    "holidays. Each slot has start/end (ISO, shop time), the bay, and 'spoken' to read aloud. "
    "Offer one or two of them; pass the chosen slot's start and bay to book_appointment."
)


def check_availability(args: CheckAvailabilityArgs, env: ToolEnv) -> CheckAvailabilityResult:
    service = service_or_refuse(env, args.service_type)
    today = env.now.date()
    if args.preferred_date < today:
        raise Refused(
            PastDate(
                error="in_the_past",
                message=_say(env, "in_the_past", today=_day(env, today)),
                today=today.isoformat(),
            )
        )
    if args.preferred_date > today + timedelta(days=BOOKING_HORIZON_DAYS):
        raise Refused(_too_far_ahead(env))
    bays = capable_bays(service, env.catalog.bays)
    slots = find_slots(
        env.catalog.shop,
        service,
        bays,
        args.preferred_date,
        args.preferred_time_of_day,
        taken_reader(env),
        env.now,
        args.max_results,
    )
    closed = ""
    if env.catalog.shop.hours_on(args.preferred_date) is None:
        why = "holiday" if args.preferred_date in env.catalog.shop.holidays else "closed_day"
        closed = _say(env, why, day=_day(env, args.preferred_date))
    views = [SlotView.of(s.start, s.end, s.bay, _lang(env)) for s in slots]
    if views:
        found = _say(env, "options_found", count=len(views), when=views[0].spoken)
    else:
        found = _say(env, "nothing_free")
    return CheckAvailabilityResult(
        service_type=service.code,
        duration_minutes=service.duration_minutes,
        message=closed + found,
        slots=views,
    )
