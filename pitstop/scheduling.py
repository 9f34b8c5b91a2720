"""Bay time as granules: an appointment holds every slot-sized step of its bay's time.

Holding granules (rather than checking overlaps) is what makes booking race-free: two bookings
that overlap in any granule collide on the same item, and DynamoDB lets only one write it.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def granules(start: datetime, end: datetime, slot_minutes: int) -> list[str]:
    """`HH:MM` of each slot step from `start` (inclusive) to `end` (exclusive)."""
    step = timedelta(minutes=slot_minutes)
    times, at = [], start
    while at < end:
        times.append(at.strftime("%H:%M"))
        at += step
    return times
