"""Scenario files: what the simulated caller does on a call, and what the call must achieve.

A scenario is JSON (shipped ones live in `pitstop_local/scenarios/`). The caller's side is a
list of steps played in order on the call's own clock; `expect` describes the outcome that the
e2e tests, `pitstop call` and `pitstop demo` check against the CRM and the outbox afterwards.
Keeping both in one file means a scenario documents a feature and tests it at once.

Texts may use placeholders filled in from the call's date (shop time), so a scenario keeps
working on any day: `{workday}` / `{workday2}` (weekday name of the first / second Monday-Friday
after today that the shop is open: "friday"), `{weekday+N}` ("thursday"), `{date+N}`
("november twenty seventh"), `{caller_name}`, `{caller_first_name}` (the customer on the line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Say(_Step):
    """Speak `text` (caller's TTS voice); the step ends when the last frame has been sent."""

    type: Literal["say"] = "say"
    text: str


class WaitForAgent(_Step):
    """Wait until the agent has spoken and then stayed quiet for `quiet_ms` (end of its turn).

    `expect` (case-insensitive regular expression) is checked against what the agent said
    in that turn, when the simulator can read the agent's words (local stack)."""

    type: Literal["wait_for_agent"] = "wait_for_agent"
    quiet_ms: int = 900
    timeout_ms: int = 30_000
    expect: str | None = None


class Pause(_Step):
    """Stay silent (the line keeps streaming silence, as a phone does) for `ms`."""

    type: Literal["pause"] = "pause"
    ms: int


class Dtmf(_Step):
    """Press keys; one `dtmf` event per digit, 100 ms apart."""

    type: Literal["dtmf"] = "dtmf"
    digits: str = Field(pattern=r"^[0-9*#A-D]+$")


class BargeIn(_Step):
    """Talk over the agent: once the agent has been audible for `after_ms`, say `text`."""

    type: Literal["barge_in"] = "barge_in"
    text: str
    after_ms: int = 600
    timeout_ms: int = 30_000


class Hangup(_Step):
    """The caller hangs up (Twilio sends `stop` and closes the stream)."""

    type: Literal["hangup"] = "hangup"


Step = Annotated[Say | WaitForAgent | Pause | Dtmf | BargeIn | Hangup, Field(discriminator="type")]


class AppointmentExpectation(BaseModel):
    """What must have happened to the caller's appointments because of the call."""

    model_config = ConfigDict(extra="forbid")
    change: Literal["booked", "rescheduled", "cancelled", "confirmed"]
    service_type: str | None = None


class Expectations(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str | None = Field(default=None, description="call record `outcome`")
    appointment: AppointmentExpectation | None = None
    customer_registered: str | None = Field(default=None, description="name of the new customer")
    sms: bool | None = Field(default=None, description="an SMS to the caller is in the outbox")
    handoff: bool | None = Field(default=None, description="a redirect with <Dial> the shop")
    voicemail: bool | None = Field(default=None, description="voicemail TwiML, no stream opened")
    stream_opened: bool | None = None
    agent_said: list[str] = Field(
        default_factory=list, description="regexes over the agent's words"
    )
    barge_in_stop_ms: int | None = Field(default=None, description="agent silent within N ms")


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str
    description: str = ""
    caller: str = Field(default="+15551230001", alias="from", description="caller's E.164")
    direction: Literal["inbound", "reminder"] = "inbound"
    answered_by: Literal["human", "machine_end_beep"] = "human"
    #: What the shop's line does when a `<Dial>` rings it: a person picks up (then talks for
    #: `shop_talk_ms` and hangs up), the line is busy, nobody answers within the `<Dial
    #: timeout>`, or the call cannot be placed. Twilio reports each as its `DialCallStatus`.
    shop_line: Literal["answered", "busy", "no-answer", "failed"] = "answered"
    shop_talk_ms: int = Field(default=3000, ge=0)
    #: What the caller says after the beep when a `<Record>` asks for a message.
    message: str = "Hi, this is about my car, please call me back."
    steps: list[Step]
    expect: Expectations = Expectations()

    def render(
        self,
        today: date,
        caller_name: str | None = None,
        is_open: Callable[[date], bool] | None = None,
    ) -> Scenario:
        """A copy with the placeholders in every text filled in for a call on `today`.

        `is_open(day)` is the shop's calendar (holidays), so `{workday}` is a day it can book."""
        workdays = [
            d
            for d in (today + timedelta(days=i) for i in range(1, 15))
            if d.weekday() < 5 and (is_open is None or is_open(d))
        ]
        values = {
            "caller_name": caller_name or "",
            "caller_first_name": (caller_name or "").split(" ")[0],
            "workday": workdays[0].strftime("%A").lower(),
            "workday2": workdays[1].strftime("%A").lower(),
        }

        def fill(text: str) -> str:
            def one(match: re.Match) -> str:
                key, offset = match.group(1), int(match.group(2) or 0)
                if key == "weekday":
                    return (today + timedelta(days=offset)).strftime("%A").lower()
                if key == "date":
                    return spoken_date(today + timedelta(days=offset))
                return values[key]

            return re.sub(
                r"\{(weekday|date|caller_name|caller_first_name|workday2|workday)([+-]\d+)?\}",
                one,
                text,
            )

        data = self.model_dump(by_alias=True)
        for step in data["steps"]:
            if "text" in step:
                step["text"] = fill(step["text"])
        return Scenario.model_validate(data)


def spoken_date(day: date) -> str:
    """How a caller says a date: "november twenty seventh" (the recogniser's spelling)."""
    from pitstop_local.speech.words import spell_date

    return spell_date(day)


def shipped_scenarios() -> dict[str, Path]:
    """Name → path of every scenario shipped with Pitstop."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.json"))}


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a shipped scenario by name (`known-customer-books-oil-change`) or a file by path."""
    path = Path(name_or_path)
    if not path.exists():
        shipped = shipped_scenarios()
        if str(name_or_path) not in shipped:
            raise FileNotFoundError(
                f"no scenario {name_or_path!r}; shipped: {', '.join(sorted(shipped))}"
            )
        path = shipped[str(name_or_path)]
    return Scenario.model_validate(json.loads(path.read_text(encoding="utf-8")))
