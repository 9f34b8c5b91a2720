from datetime import datetime

from pitstop.scheduling import granules


def test_granules_cover_start_inclusive_end_exclusive():
    assert granules(datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 10, 30), 30) == [
        "09:00",
        "09:30",
        "10:00",
    ]
    assert granules(datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 9), 30) == []
