"""Where call recordings live and how long they are kept: shared by the bridge (which writes
them), the admin API (which presigns them) and the stack (which expires them).

Retention follows the shop's `AgentSettings.recording_retention_days`, which changes without a
deploy, while an S3 lifecycle rule is fixed at deploy time. So the stack has one lifecycle rule
per value of `RETENTION_DAYS`, each matching the object tag `RETENTION_TAG=<days>`, and the
bridge tags each recording with the longest of these that does not exceed the shop's setting:
a recording is never kept longer than the shop said (a notice promises at most that long).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Final

# Where the recordings go: an S3 bucket in AWS (the stack sets this on the bridge and the admin
# function), or a folder on the local stack (never both; neither: the bridge records nothing).
ENV_RECORDINGS_BUCKET: Final = "PITSTOP_RECORDINGS_BUCKET"
ENV_RECORDINGS_DIR: Final = "PITSTOP_RECORDINGS_DIR"

RETENTION_TAG: Final = "retention-days"
# The retention periods the stack has a lifecycle rule for (days, ascending).
RETENTION_DAYS: Final = (1, 2, 3, 7, 14, 30, 60, 90, 120, 180, 365, 730, 1095, 1825, 2555, 3650)
CONTENT_TYPE: Final = "audio/wav"


def retention_days(setting: int) -> int:
    """The lifecycle period for a shop that keeps recordings `setting` days: the longest one
    not longer than that (the shortest there is, for a setting below all of them)."""
    return RETENTION_DAYS[max(bisect_right(RETENTION_DAYS, setting) - 1, 0)]


def recording_key(call_sid: str, stream_sid: str) -> str:
    """The object key of one stream's recording. A call streamed twice (back to the agent after
    an unanswered handoff) has two, side by side under the call's prefix."""
    return f"calls/{call_sid}/{stream_sid}.wav"
