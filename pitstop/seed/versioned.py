"""Loading the seeded shop profile, agent settings and catalogue without breaking the console.

Those items are versioned (`pitstop.dal.settings_log`): a console form saves against the version
it read. A plain put would drop the version, so every later console save would look stale (and
the history would miss the seed's change). Instead, an item the console never saved is put as
before, and one it did is saved as the next version, by "pitstop seed", only if the seed changes
it: running the seed twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel

from pitstop.admin.settings import differences
from pitstop.dal.errors import NotFound
from pitstop.dal.settings_log import SettingsVersion, VersionedLog

M = TypeVar("M", bound=BaseModel)
SEEDED_BY = "pitstop seed"


def load(log: VersionedLog[M], new: M, put: Callable[[M], None], now: datetime) -> None:
    """Make `new` live through `log`, keeping (and bumping) a version the console gave it."""
    try:
        current, version = log.current()
    except NotFound:
        version = 0
    if version == 0:
        put(new)
        return
    if (changes := differences(current, new)) == {}:
        return
    entry = SettingsVersion(
        version=version + 1,
        at=now,
        by=SEEDED_BY,
        changes=changes,
        settings=new.model_dump(mode="json", exclude_unset=True),
    )
    log.save(current, entry, new)
