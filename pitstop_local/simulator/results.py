"""What a simulated call produced (`CallResult`), and the state of one call as it runs (`Leg`).

Apart from the simulator itself so the verbs that lead elsewhere (`verbs.py`) and the checks
share them without importing the whole simulator.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal

from pitstop_local.simulator.line import Clock, LineEvent
from pitstop_local.simulator.media_protocol import TwilioError

if TYPE_CHECKING:
    import httpx

    from pitstop_local.simulator.scenario import Scenario


@dataclass
class Turn:
    role: str  # caller | agent | twiml | whisper (what staff hear before they are connected)
    text: str
    ms: int


@dataclass
class BargeIn:
    speech_ms: int  # call time of the caller's first voiced frame
    agent_stop_ms: int | None  # end of the last agent frame heard after it
    clears: int  # clear messages received after the speech started
    tag: str = ""

    @property
    def stop_ms(self) -> int | None:
        return None if self.agent_stop_ms is None else self.agent_stop_ms - self.speech_ms


@dataclass
class CallResult:
    call_sid: str
    direction: str
    caller: str
    shop_number: str
    answered_by: str | None = None
    twiml: list[str] = field(default_factory=list)
    stream_opened: bool = False
    stream_parameters: dict = field(default_factory=dict)  # the last stream's
    streams: int = 0  # media streams opened (a caller back with the agent opens a second)
    dialled: str | None = None  # the last number a `<Dial>` rang
    dial_statuses: list[str] = field(default_factory=list)  # each `<Dial>`'s DialCallStatus
    whispers: list[str] = field(default_factory=list)  # what staff heard on picking up
    recordings: list[str] = field(default_factory=list)  # RecordingUrl of each recording
    recording_callbacks: list[str] = field(default_factory=list)  # RecordingSids posted back
    requests: list[str] = field(default_factory=list)  # every URL Twilio requested, in order
    ended_by: str = ""
    turns: list[Turn] = field(default_factory=list)
    events: list[LineEvent] = field(default_factory=list)
    barge_ins: list[BargeIn] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    #: Messages from the stream server that Twilio would have refused (31950/31951), dropped.
    twilio_errors: list[TwilioError] = field(default_factory=list)
    duration_ms: int = 0
    http_status: int | None = None
    caller_audio: bytes = b""
    agent_audio: bytes = b""

    def said(self, role: str) -> list[str]:
        return [t.text for t in self.turns if t.role == role]

    def to_json(self) -> dict:
        """The JSON transcript: call facts, turns and line events (no audio)."""
        data = asdict(self)
        data.pop("caller_audio")
        data.pop("agent_audio")
        data["barge_ins"] = [{**asdict(b), "stop_ms": b.stop_ms} for b in self.barge_ins]
        return data


#: Where a call goes next: ("twiml", a REST redirect's document, {}) or ("post", a URL Twilio
#: requests, the extra form fields of that request: `<Redirect>`, an `action`).
Hop = tuple[Literal["twiml", "post"], str, dict[str, str]]


@dataclass
class Leg:
    """One call as it runs through its TwiML documents: one clock, one caller script.

    `next_step` carries the script across streams: when a stream ends and a new one opens
    (the caller back with the agent after nobody picked up), the caller carries on where they
    were instead of starting over."""

    http: httpx.AsyncClient
    scenario: Scenario
    speech: dict[str, bytes]
    result: CallResult
    clock: Clock
    form: dict[str, str]
    next_step: int = 0
