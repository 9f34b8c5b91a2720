"""The shop catalogue as one call's tools read it: once per call, never older than `MAX_AGE`.

A call runs several tools (look up the caller, check availability, book, text a confirmation),
each a separate tools-API request, and each needs the catalogue (hours, services, bays). It
does not change under a call the way appointments do, so the tools share one read per call in
each container: keyed by the call's SID, it is re-read after `MAX_AGE` seconds, and a new call
always reads afresh, so a change saved in the console is seen by the next call (and by a call in
progress within `MAX_AGE`). Appointments and slots are never cached: they are what a booking
races on. A request without a call SID reads the table every time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from pitstop.dal.shops import ShopCatalog

MAX_AGE = 30.0  # seconds a call may keep using its catalogue read
MAX_CALLS = 256  # calls remembered per container; the oldest is dropped first


class CallCatalogs:
    """Per-call catalogue reads, thread-safe (the local adapter serves requests in threads)."""

    def __init__(
        self,
        read: Callable[[], ShopCatalog],
        *,
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._read = read
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._by_call: OrderedDict[str, tuple[float, ShopCatalog]] = OrderedDict()

    def for_call(self, call_sid: str) -> ShopCatalog:
        """The call's catalogue: its earlier read if younger than `max_age`, else a fresh one."""
        if not call_sid:
            return self._read()
        now = self._clock()
        with self._lock:
            cached = self._by_call.get(call_sid)
        if cached is not None and now - cached[0] < self._max_age:
            return cached[1]
        catalog = self._read()
        with self._lock:
            self._by_call[call_sid] = (now, catalog)
            self._by_call.move_to_end(call_sid)
            while len(self._by_call) > MAX_CALLS:
                self._by_call.popitem(last=False)
        return catalog
