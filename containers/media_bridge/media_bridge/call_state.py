"""Per-call state: who is on the call, and how much of the agent's audio the caller has heard.

Twilio echoes each `mark` when the audio sent before it has played, so the acknowledged marks
say exactly how far the caller got into each assistant item. That is what barge-in truncates
to, and what "the goodbye has finished playing" waits for.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from media_bridge.latency import LatencyMeter
from media_bridge.realtime_events import (
    ResponseUsage,
    TranscriptionDuration,
    TranscriptionUsage,
)
from media_bridge.recording import NOT_RECORDING, Recording
from pitstop.models import CallDirection, CallOutcome, ResumeReason, StreamContext


@dataclass
class CallContext:
    """Who the call is with, as the webhook recorded it on the call record.

    Never read from the stream's `<Parameter>`s: anyone holding a valid token could edit those.
    The bridge claims the record with the token (`CallRepository.claim_stream`) and builds this
    from what comes back."""

    call_sid: str
    stream_sid: str
    direction: CallDirection
    customer_number: str
    customer_id: str | None
    shop_id: str | None
    appointment_id: str | None
    resume_reason: ResumeReason | None = None

    @classmethod
    def from_record(cls, stream_sid: str, recorded: StreamContext) -> CallContext:
        return cls(
            call_sid=recorded.call_sid,
            stream_sid=stream_sid,
            direction=recorded.direction,
            customer_number=recorded.customer_number,
            customer_id=recorded.customer_id,
            shop_id=recorded.shop_id,
            appointment_id=recorded.appointment_id,
            resume_reason=recorded.resume_reason,
        )

    @classmethod
    def signed_only(cls, call_sid: str, stream_sid: str, direction: str) -> CallContext:
        """A bridge without a CRM (benchmarks) has no record: only what the token signed."""
        return cls(call_sid, stream_sid, CallDirection(direction), "", None, None, None)

    def for_tools(self) -> dict[str, str | None]:
        """The `context` body of a tools API request."""
        return {
            "call_sid": self.call_sid,
            "customer_number": self.customer_number,
            "customer_id": self.customer_id,
            "direction": self.direction,
            "appointment_id": self.appointment_id,
        }


class Playout:
    """What the caller has heard of each assistant item, measured in time.

    Marks are named `m<seq>` with a rising sequence; Twilio acknowledges them in order, so an
    acknowledgement settles every earlier mark too. After a `clear`, Twilio still echoes the
    cleared marks; those are older than anything sent later and are ignored.

    Real audio deltas are long (hundreds of ms), so acknowledged marks alone say too little.
    The item playing now (the oldest pending) has an anchor: the moment its played part was
    last known (its first audio reaching an idle line, or the latest mark). What was heard at
    any moment is that part plus the wall-clock time since, never more than was sent.

    `sent` and `acked` run once per frame on the hot path: a few slots, one dict, one tuple,
    no event set or cleared (`drained` makes its future only when someone waits).
    """

    __slots__ = (
        "_anchor_at",
        "_clock",
        "_drained",
        "_pending",
        "_played",
        "_sent",
        "_seq",
        "last_played_at",
    )

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seq = 0  # of the last mark sent
        # (mark name, item_id, bytes of the item sent by that mark), oldest first
        self._pending: deque[tuple[bytes, str, int]] = deque()
        self._sent: dict[str, int] = {}
        self._played: dict[str, int] = {}
        self._anchor_at = 0.0  # when the oldest pending item's played part was last known
        self._drained: asyncio.Future[None] | None = None  # what `drained` waits on
        self.last_played_at = clock()

    def sent(self, item_id: str, nbytes: int) -> bytes:
        """Record audio sent for `item_id`; returns the name of the mark to send after it."""
        pending, clock = self._pending, self._clock  # (a callable in a slot: called from a local)
        if not pending:  # an idle line: Twilio starts playing this at once
            self._anchor_at = clock()
        seq = self._seq = self._seq + 1
        name = b"m%d" % seq
        total = self._sent[item_id] = self._sent.get(item_id, 0) + nbytes
        pending.append((name, item_id, total))
        return name

    async def drained(self) -> None:
        """Until everything sent has been heard (or cleared)."""
        if self._pending:
            if self._drained is None:
                self._drained = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._drained)

    def _settle(self) -> None:
        """Nothing is pending any more: whoever waits for the line to drain goes on."""
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def acked(self, name: bytes) -> None:
        """Twilio played everything up to the mark `name`."""
        pending, clock = self._pending, self._clock
        now = self.last_played_at = clock()
        if pending and pending[0][0] == name:  # the usual case: the oldest pending mark
            _, item_id, total = pending.popleft()
            self._played[item_id] = total
        elif not self._acked_past(name):
            return  # the echo of a cleared mark: says nothing about what plays now
        if pending:  # playing on: the oldest pending item, from where it stands now
            self._anchor_at = now
        elif self._drained is not None:  # someone waits for the line to drain
            self._settle()

    def _acked_past(self, name: bytes) -> bool:
        """A mark past the oldest pending one: it settles every earlier mark too. False if it
        settles nothing (a cleared mark's echo, or not ours)."""
        seq = _mark_seq(name)
        pending, played = self._pending, self._played
        settled = False
        while pending and _mark_seq(pending[0][0]) <= seq:
            _, item_id, total = pending.popleft()
            played[item_id] = total
            settled = True
        return settled

    @property
    def audible(self) -> bool:
        """The caller is hearing (or about to hear) agent audio: sent, not yet acknowledged."""
        return bool(self._pending)

    def played_ms(self, item_id: str) -> int:
        """What the marks prove was played of `item_id`."""
        return self._played.get(item_id, 0) // 8

    def sent_ms(self, item_id: str) -> int:
        return self._sent.get(item_id, 0) // 8

    def heard_ms(self, item_id: str) -> int:
        """What the caller has heard of `item_id` by now: marks plus wall-clock time."""
        played = self.played_ms(item_id)
        pending = self._pending
        if not pending or pending[0][1] != item_id:
            return played
        elapsed = round((self._clock() - self._anchor_at) * 1000)
        return min(played + elapsed, self.sent_ms(item_id))

    def interrupt(self) -> list[tuple[str, int]]:
        """Forget the audio Twilio is about to drop (after a `clear`).

        Returns each assistant item that was still to be heard, in order, with the ms of it the
        caller did hear: the first may be part-played, any later ones were not heard at all.
        """
        items: dict[str, int] = {}
        for _, item_id, _ in self._pending:
            if item_id not in items:
                items[item_id] = self.heard_ms(item_id)
        self._pending.clear()
        self._settle()
        return list(items.items())


def _mark_seq(name: bytes) -> int:
    """The sequence number of our mark `name` (`m<digits>`); -1 for a name we never send.
    Bounded: `int()` of 5,000 digits raises. (`bytes.isdigit` is ASCII digits only.)"""
    digits = name[1:]
    if name[:1] != b"m" or not digits.isdigit() or len(digits) > 15:
        return -1
    return int(digits)


@dataclass
class Usage:
    """What the call used, summed: the Realtime responses' tokens (`response.done`; cached
    input tokens are counted in the input too, and again on their own) and the input
    transcription's (`…input_audio_transcription.completed`: tokens, or seconds for a model
    billed by duration). Usage, not dollars, is the record's source of truth: prices change."""

    input_text: int = 0
    input_audio: int = 0
    cached_text: int = 0
    cached_audio: int = 0
    output_text: int = 0
    output_audio: int = 0
    responses: int = 0
    transcription_input_audio: int = 0
    transcription_input_text: int = 0
    transcription_output_text: int = 0
    transcription_seconds: float = 0.0
    transcriptions: int = 0

    @property
    def total(self) -> int:
        """The Realtime tokens of all responses (what the per-call ceiling counts)."""
        return self.input_text + self.input_audio + self.output_text + self.output_audio

    def transcribed(self, usage: TranscriptionUsage | None) -> None:
        if usage is None:
            return
        self.transcriptions += 1
        if isinstance(usage, TranscriptionDuration):
            self.transcription_seconds += usage.seconds
            return
        details = usage.input_token_details
        if details is None:  # no split given: the input of a transcription is audio
            self.transcription_input_audio += usage.input_tokens
        else:
            self.transcription_input_audio += details.audio_tokens or 0
            self.transcription_input_text += details.text_tokens or 0
        self.transcription_output_text += usage.output_tokens

    def add(self, usage: ResponseUsage | None) -> None:
        if usage is None or not usage.model_fields_set:  # absent or `{}`: not a billed response
            return
        self.responses += 1
        inp = usage.input_token_details
        if inp is not None:
            self.input_text += inp.text_tokens or 0
            self.input_audio += inp.audio_tokens or 0
            cached = inp.cached_tokens_details
            if cached is not None:
                self.cached_text += cached.text_tokens or 0
                self.cached_audio += cached.audio_tokens or 0
        out = usage.output_token_details
        if out is not None:
            self.output_text += out.text_tokens or 0
            self.output_audio += out.audio_tokens or 0

    def as_dict(self) -> dict[str, int | float]:
        return asdict(self)


@dataclass(slots=True)
class CallState:
    """Everything that changes during one call."""

    context: CallContext
    playout: Playout = field(default_factory=Playout)
    started_at: float = field(default_factory=time.monotonic)
    last_activity: float = field(default_factory=time.monotonic)
    relaying: bool = False  # the Realtime session is configured: caller audio and DTMF flow to it
    audio_responses: set[str] = field(default_factory=set)  # responses that produced audio
    suppressed_items: set[str] = field(default_factory=set)  # interrupted items: drop late deltas
    usage: Usage = field(default_factory=Usage)
    outcome: CallOutcome | None = None
    handoff_reason: str | None = None
    realtime_model: str | None = None  # the model the current Realtime link is open on
    ending: bool = False  # a goodbye, hang-up or handoff is under way
    escalation_hinted: bool = False
    # The call's stereo recording (nothing until the shop's settings say to record) and what
    # the caller waited for; both are fed by cheap hooks on the audio path.
    recording: Recording = NOT_RECORDING
    latency: LatencyMeter = field(init=False)

    def __post_init__(self) -> None:
        self.latency = LatencyMeter(self.started_at)

    def touch(self) -> None:
        self.last_activity = time.monotonic()
