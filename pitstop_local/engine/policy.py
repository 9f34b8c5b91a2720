"""The offline engine's dialogue policy: slot filling for a car service centre's phone line.

Why a plain function of state: `decide(state, event) -> list[Action]` updates `state` in place
and returns what the agent does next — say a sentence, or call one of the real tools (exactly
what the Realtime model would do). No audio, no I/O, no clock: every turn is unit-testable.

The policy knows the caller only through tools (`lookup_customer` first on an inbound call,
`get_upcoming_appointments` first on a reminder call) and through the session's `Context`.

Flows (each ends with "anything else?"; "no"/"goodbye" → `end_call`):
- book: service → vehicle → day → time of day → `check_availability` → offer the first slot →
  yes → `book_appointment` → `send_sms_confirmation`. "no" offers the next slot.
- move: `get_upcoming_appointments` → which one → new day → time → `check_availability` →
  offer → yes → `reschedule_appointment` → `send_sms_confirmation`.
- cancel: `get_upcoming_appointments` → which one → "sure?" → yes → `cancel_appointment`.
- confirm (reminder call): the appointment from the context → yes → `confirm_appointment`.
- history: `get_service_history`. New caller: name → vehicle → `register_customer`.
- message: when a response's instructions say to offer `take_message` (the shop is closed,
  nobody picked up the handoff), or the caller asks to leave one: offer → yes → name (from the
  lookup, else asked) → what it is about (from what the caller said, else asked once) →
  `take_message` → read back.
- any time: a person/operator or DTMF 0 → `request_operator_handoff`; "don't call me" →
  `set_do_not_call`; goodbye → `end_call`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pitstop_local.engine import nlu
from pitstop_local.engine.context import Context

# --- actions and events ----------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class CallTool:
    name: str
    arguments: dict = field(default_factory=dict)


Action = Say | CallTool


@dataclass(frozen=True)
class Start:
    """The client asked for a response with nothing new said: greet (once) or re-prompt.
    `instructions` are the response's own, when it carried any (see `offers_message`)."""

    instructions: str = ""


@dataclass(frozen=True)
class UserSaid:
    text: str


@dataclass(frozen=True)
class Recalled:
    """Something the caller said earlier in the call, replayed as context (a resumed stream):
    it tells what a message is about, but is not answered."""

    text: str


@dataclass(frozen=True)
class ToolResult:
    name: str
    output: Any


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Interrupted:
    """A response was cut short; `undelivered` are the actions the client never received."""

    undelivered: tuple = ()


Event = Start | UserSaid | Recalled | ToolResult | Dtmf | Interrupted

MAX_MISSES = 4


@dataclass
class State:
    ctx: Context = field(default_factory=Context)
    greeted: bool = False
    introduced: bool = False
    looked_up: bool = False
    customer: dict | None = None
    vehicles: list[dict] = field(default_factory=list)
    name: str | None = None
    new_vehicle: nlu.Vehicle = field(default_factory=nlu.Vehicle)
    vehicle_id: str | None = None
    intent: str | None = None
    service: str | None = None
    day: dt.date | None = None
    time_pref: str | None = None
    search: tuple | None = None
    slots: list[dict] = field(default_factory=list)
    offer_index: int = 0
    appointments: list[dict] | None = None
    target: dict | None = None
    booked: dict | None = None
    message_wanted: bool = False  # the caller took the offer of a message
    message_about: str | None = None
    awaiting: str | None = None
    question: str = "How can I help you today?"
    pending: str | None = None  # the tool whose result we wait for
    misses: int = 0
    ended: bool = False
    history: list = field(default_factory=list)


def new_state(ctx: Context) -> State:
    state = State(ctx=ctx)
    if ctx.direction == "reminder":
        state.intent = "confirm"
    return state


def decide(state: State, event: Event) -> list[Action]:
    """Advance the conversation by one event; mutates `state`, returns the agent's actions."""
    if isinstance(event, Interrupted):
        _forget_undelivered(state, event.undelivered)
        return []
    if isinstance(event, Recalled):
        _recall(state, event.text)
        return []
    if isinstance(event, Start) and offers_message(event.instructions):
        return _offer_message(state, event.instructions)  # reopens a call left to the handoff
    if state.ended:
        return []
    if isinstance(event, Start):
        return _on_start(state)
    if isinstance(event, Dtmf):
        return _handoff(state, "caller pressed 0") if event.digit == "0" else []
    if isinstance(event, ToolResult):
        return _on_tool_result(state, event)
    if isinstance(event, UserSaid):
        return _on_user(state, event.text)
    return []


def _forget_undelivered(state: State, undelivered: tuple) -> None:
    """The caller cut in before a tool call went out: it never happened."""
    for action in undelivered:
        if isinstance(action, CallTool) and action.name == state.pending:
            state.pending = None
            if action.name == "check_availability":
                state.search = None  # search again on the next turn
            if action.name == "end_call":
                state.ended = False
            if not state.introduced:
                state.greeted = False  # the greeting never went out: greet on the next ask


def _on_start(state: State) -> list[Action]:
    """A response was asked for with nothing new heard: greet, repeat the question, or go on."""
    if not state.greeted:
        return _greet(state)
    if state.pending:
        return []
    return [Say(state.question)] if state.awaiting else _advance(state)


def _on_tool_result(state: State, event: ToolResult) -> list[Action]:
    output = event.output if isinstance(event.output, dict) else {}
    actions = _on_tool(state, event.name, output)
    if event.name in ("lookup_customer", "get_upcoming_appointments") and not state.ended:
        actions = _with_intro(state, actions)
    return actions


# --- helpers ---------------------------------------------------------------------------------


def _ask(state: State, awaiting: str, question: str, prefix: str = "") -> list[Action]:
    state.awaiting, state.question = awaiting, question
    return [Say(f"{prefix} {question}".strip())]


def _call(state: State, name: str, arguments: dict | None = None, say: str = "") -> list[Action]:
    state.pending = name
    state.awaiting = None
    return ([Say(say)] if say else []) + [CallTool(name, arguments or {})]


def _reset_task(state: State) -> None:
    """Forget the finished task's slots (keep who the caller is)."""
    state.intent = state.service = state.day = state.time_pref = None
    state.search = state.target = state.booked = None
    state.slots, state.offer_index = [], 0
    if len(state.vehicles) > 1:
        state.vehicle_id = None


def _with_bay(arguments: dict, slot: dict) -> dict:
    if slot.get("bay"):
        arguments["bay"] = slot["bay"]
    return arguments


def _first_name(state: State) -> str:
    name = (state.customer or {}).get("name") or state.name or ""
    return name.split()[0] if name else ""


def _spoken_day(day: dt.date) -> str:
    return f"{day.strftime('%A')}, {day.strftime('%B')} {day.day}"


def _spoken_service(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("service_name") or value.get("service_type")
    return str(value or "service").replace("_", " ").lower()


def _spoken_appt(appt: dict) -> str:
    if appt.get("spoken"):
        return str(appt["spoken"])
    try:
        start = dt.datetime.fromisoformat(str(appt.get("start")))
        return f"{_spoken_day(start.date())} at {start.strftime('%I:%M %p').lstrip('0')}"
    except ValueError:
        return "the scheduled time"


def _anything_else(state: State, prefix: str) -> list[Action]:
    _reset_task(state)
    return _ask(state, "anything_else", "Is there anything else I can help you with?", prefix)


def _handoff(state: State, reason: str) -> list[Action]:
    return _call(
        state,
        "request_operator_handoff",
        {"reason": reason},
        "Of course. Let me connect you with a member of our team.",
    )


def _goodbye(state: State, prefix: str = "") -> list[Action]:
    state.ended = True
    text = f"{prefix} Thanks for calling {state.ctx.shop_name}. Goodbye!".strip()
    return _call(state, "end_call", {"reason": "conversation complete"}, text)


# --- greeting --------------------------------------------------------------------------------


def _greet(state: State) -> list[Action]:
    """Look the caller (or the reminder's appointment) up first, then greet in one breath:
    one agent turn, no silence in the middle of the greeting."""
    state.greeted = True
    if state.ctx.direction == "reminder":
        return _call(state, "get_upcoming_appointments", {})
    return _call(state, "lookup_customer", {})


def _intro(state: State) -> str:
    """The greeting's first sentence, once per call: it says this is the offline test voice."""
    if state.introduced:
        return ""
    state.introduced = True
    ctx = state.ctx
    if ctx.direction == "reminder":
        return (
            f"Hello, this is {ctx.persona}, Pitstop's offline test voice, calling from "
            f"{ctx.shop_name} about your upcoming appointment."
        )
    if ctx.greeting:  # the shop's own words (the bridge makes sure they say "AI assistant")
        return ctx.greeting
    return (
        f"Thanks for calling {ctx.shop_name}. This is {ctx.persona}, Pitstop's offline test voice."
    )


def _with_intro(state: State, actions: list[Action]) -> list[Action]:
    intro = _intro(state)
    if not intro:
        return actions
    if actions and isinstance(actions[0], Say):
        return [Say(f"{intro} {actions[0].text}"), *actions[1:]]
    return [Say(intro), *actions]


# --- caller turns ----------------------------------------------------------------------------


def _on_user(state: State, text: str) -> list[Action]:
    ctx = state.ctx
    p = nlu.parse(text, ctx.today, ctx.services, ctx.makes, ctx.models, expecting=state.awaiting)
    state.history.append(p.text)
    if not p.text and state.pending:
        return []
    if p.intent == "handoff":
        return _handoff(state, "caller asked for a person")
    if p.intent == "dnc":
        return _call(state, "set_do_not_call", {}, "Understood.")
    if p.intent == "message" and not state.pending:
        return _accept_message(state, p)
    if p.intent == "goodbye" or (state.awaiting == "anything_else" and p.no and not p.intent):
        return _goodbye(state)
    if state.pending:
        _merge(state, p)  # the tool's answer is on its way; keep what the caller added
        return []

    handled = _answer(state, p)
    if handled is not None:
        state.misses = 0
        return handled
    if _merge(state, p) or state.awaiting is None:
        state.misses = 0
        return _advance(state)
    state.misses += 1
    if state.misses >= MAX_MISSES:
        return _handoff(state, "the offline engine could not understand the caller")
    return _ask(state, state.awaiting or "intent", state.question, "Sorry, I didn't catch that.")


def _merge(state: State, p: nlu.Parsed) -> bool:
    """Copy the slots an utterance filled into the state; True when anything changed."""
    changed = False
    if p.intent in ("book", "move", "cancel", "history") and p.intent != state.intent:
        keep_target = state.target if p.intent in ("move", "cancel") else None
        _reset_task(state)
        state.intent, state.target, changed = p.intent, keep_target, True
    for name in ("service", "day", "time_pref"):
        value = getattr(p, name)
        if value is not None and value != getattr(state, name):
            setattr(state, name, value)
            changed = True
    if state.customer is None and state.ctx.direction == "inbound":
        if p.name and (state.awaiting == "name" or not state.name):
            state.name, changed = p.name, True
        v = p.vehicle
        for name in ("make", "model", "year"):
            if getattr(v, name) and getattr(state.new_vehicle, name) != getattr(v, name):
                setattr(state.new_vehicle, name, getattr(v, name))
                changed = True
    elif not state.vehicle_id and (p.vehicle.make or p.vehicle.model):
        vid = _match_vehicle(state.vehicles, p.vehicle)
        if vid:
            state.vehicle_id, changed = vid, True
    if state.intent in ("move", "cancel") and state.appointments and not state.target:
        target = _match_appointment(state.appointments, p)
        if target:
            state.target, changed = target, True
    return changed


def _answer(state: State, p: nlu.Parsed) -> list[Action] | None:
    """Yes/no answers to the question just asked; None when the turn is not such an answer."""
    awaiting = state.awaiting
    if awaiting == "confirm_slot":
        return _answer_offer(state, p)
    if awaiting == "confirm" and state.intent == "confirm":
        return _answer_reminder(state, p)
    if awaiting == "confirm_cancel":
        return _answer_cancel(state, p)
    if awaiting == "message_offer":
        return _answer_message_offer(state, p)
    if awaiting == "message_about":
        state.message_about = _about(p) or "a call back"  # asked once: whatever was heard
        return _advance(state)
    if awaiting == "anything_else" and p.yes and not p.intent and not p.service:
        return _ask(state, "intent", "Sure, what can I help you with?")
    return None


def _answer_offer(state: State, p: nlu.Parsed) -> list[Action] | None:
    """The caller's answer to an offered slot: take it, or offer the next one."""
    if p.day or p.time_pref:
        return None  # "how about thursday instead": a new search
    if p.yes:
        return _take_slot(state, state.slots[state.offer_index])
    if p.no:
        state.offer_index += 1
        if state.offer_index < len(state.slots):
            return _offer(state, "No problem.")
        state.day, state.time_pref, state.search = None, None, None
        return _ask(state, "day", "What other day would work for you?", "No problem.")
    return None


def _take_slot(state: State, slot: dict) -> list[Action]:
    if state.intent == "move" and state.target:
        return _call(
            state,
            "reschedule_appointment",
            _with_bay(
                {"appointment_id": state.target.get("appointment_id"), "new_start": slot["start"]},
                slot,
            ),
            "Great, moving it now.",
        )
    return _call(
        state,
        "book_appointment",
        _with_bay(
            {"vehicle_id": state.vehicle_id, "service_type": state.service, "start": slot["start"]},
            slot,
        ),
        "Great, booking that for you now.",
    )


def _answer_reminder(state: State, p: nlu.Parsed) -> list[Action] | None:
    """A reminder call's "can you make it?": confirm, or ask whether to move or cancel."""
    if p.intent in ("move", "cancel"):
        return None
    if p.yes and state.target:
        return _call(
            state, "confirm_appointment", {"appointment_id": state.target.get("appointment_id")}
        )
    if p.no:
        return _ask(
            state,
            "move_or_cancel",
            "Would you like to move it to another day, or cancel it?",
            "No problem.",
        )
    return None


def _answer_cancel(state: State, p: nlu.Parsed) -> list[Action] | None:
    if p.yes and state.target:
        return _call(
            state,
            "cancel_appointment",
            {"appointment_id": state.target.get("appointment_id"), "reason": "caller asked"},
        )
    if p.no:
        return _anything_else(state, "Okay, I'll leave it as it is.")
    return None


# --- the next step of the current task -------------------------------------------------------


def _advance(state: State) -> list[Action]:
    ctx = state.ctx
    if state.pending:
        return []
    if ctx.direction == "inbound" and not state.looked_up:
        return _call(state, "lookup_customer", {})
    if state.intent == "message":
        return _advance_message(state)
    if ctx.direction == "inbound" and state.customer is None:
        return _register(state)
    intent = state.intent
    if intent == "book":
        return _advance_book(state)
    if intent in ("move", "cancel", "confirm"):
        return _advance_existing(state)
    if intent == "history":
        args = {"vehicle_id": state.vehicle_id} if state.vehicle_id else {}
        return _call(state, "get_service_history", args, "Let me look that up.")
    if state.service or state.day:
        state.intent = "book"
        return _advance_book(state)
    return _ask(state, "intent", "How can I help you today?")


def _register(state: State) -> list[Action]:
    if not state.name:
        return _ask(state, "name", "May I have your first and last name, please?")
    v = state.new_vehicle
    # Ask for whatever part of the car is missing rather than registering a guess: a
    # half-heard "a 2018 Honda …" must not become a Honda "Unknown" in the CRM.
    if not (v.make or v.model):
        return _ask(
            state, "vehicle", "What car do you drive? Please tell me the year, make and model."
        )
    if not v.model:
        return _ask(state, "vehicle", f"Which model is your {v.make}?")
    if not v.make:
        return _ask(state, "vehicle", f"Which make is your {v.model}?")
    if not v.year:
        return _ask(state, "vehicle", f"And what year is your {v.make} {v.model}?")
    vehicle = {"make": v.make, "model": v.model, "year": v.year}
    return _call(
        state,
        "register_customer",
        {"name": state.name, "vehicle": vehicle},
        "Thank you. Let me set up your account.",
    )


def _advance_book(state: State) -> list[Action]:
    if not state.service:
        names = [s for s in list(dict.fromkeys(state.ctx.services.values()))[:2]]
        example = " or ".join(_spoken_service(n) for n in names) or "an oil change"
        return _ask(state, "service", f"What service does your car need? For example, {example}.")
    if not state.vehicle_id:
        if len(state.vehicles) == 1:
            state.vehicle_id = state.vehicles[0].get("vehicle_id")
        elif len(state.vehicles) > 1:
            labels = " or your ".join(str(v.get("label", "car")) for v in state.vehicles[:3])
            return _ask(state, "vehicle", f"Is this for your {labels}?")
        else:
            return _handoff(state, "customer has no vehicle on file")
    return _search_and_offer(state, state.service)


def _search_and_offer(state: State, service: Any) -> list[Action]:
    if not state.day:
        return _ask(state, "day", "What day works best for you?")
    if not state.time_pref:
        state.time_pref = "any"  # optional: the nearest slot that day; "no" offers the next
    key = (service, state.day, state.time_pref)
    if state.search != key:
        state.search, state.slots, state.offer_index = key, [], 0
        return _call(
            state,
            "check_availability",
            {
                "service_type": service,
                "preferred_date": state.day.isoformat(),
                "preferred_time_of_day": state.time_pref,
                "max_results": 3,
            },
            f"Let me check {_spoken_day(state.day)}.",
        )
    if state.offer_index < len(state.slots):
        return _offer(state)
    state.day, state.time_pref, state.search = None, None, None
    return _ask(state, "day", "What other day would work for you?")


def _offer(state: State, prefix: str = "") -> list[Action]:
    slot = state.slots[state.offer_index]
    spoken = slot.get("spoken") or _spoken_appt(slot)
    first = "The first opening is" if state.offer_index == 0 else "The next opening is"
    return _ask(
        state,
        "confirm_slot",
        f"{first} {spoken}. Shall I book that?"
        if state.intent != "move"
        else f"{first} {spoken}. Shall I move it there?",
        prefix,
    )


def _advance_existing(state: State) -> list[Action]:
    if state.appointments is None:
        return _call(state, "get_upcoming_appointments", {}, "Let me pull up your appointments.")
    if not state.target:
        if state.ctx.appointment_id:
            state.target = next(
                (
                    a
                    for a in state.appointments
                    if a.get("appointment_id") == state.ctx.appointment_id
                ),
                None,
            )
        if not state.target and len(state.appointments) == 1:
            state.target = state.appointments[0]
        if not state.target:
            if not state.appointments:
                return _anything_else(state, "I don't see any upcoming appointments for you.")
            options = " or ".join(
                f"the {_spoken_service(a)} on {_spoken_appt(a)}" for a in state.appointments[:3]
            )
            return _ask(state, "which_appointment", f"Which appointment do you mean: {options}?")
    t = state.target
    what = f"{_spoken_service(t)} appointment on {_spoken_appt(t)}"
    if state.intent == "confirm":
        return _ask(state, "confirm", f"You have a {what}. Will you be able to make it?")
    if state.intent == "cancel":
        return _ask(state, "confirm_cancel", f"Just to confirm, you'd like to cancel your {what}?")
    if not state.day:
        return _ask(state, "day", f"Sure. What day would you like to move your {what} to?")
    return _search_and_offer(state, t.get("service_type"))


def _match_vehicle(vehicles: list[dict], v: nlu.Vehicle) -> str | None:
    for vehicle in vehicles:
        label = str(vehicle.get("label", "")).lower()
        if (v.model and v.model.lower() in label) or (v.make and v.make.lower() in label):
            return vehicle.get("vehicle_id")
    return None


def _match_appointment(appointments: list[dict], p: nlu.Parsed) -> dict | None:
    for appt in appointments:
        names = {_spoken_service(appt), _spoken_service(appt.get("service_type"))}
        if p.service and _spoken_service(p.service) in names:
            return appt
        try:
            day = dt.datetime.fromisoformat(str(appt.get("start"))).date()
        except ValueError:
            continue
        if p.day and p.day == day:
            return appt
    return None


# --- taking a message ------------------------------------------------------------------------

#: A response's instructions that tell the agent to offer a message (pitstop.handoff's).
_OFFERS_MESSAGE = re.compile(r"\boffer\b.{0,80}\bmessage\b.{0,80}\btake_message\b", re.S)
MESSAGE_OFFER = "Would you like me to take a message so someone can call you back?"


def offers_message(instructions: str) -> bool:
    """Do these response instructions say to offer `take_message` (the shop is closed, nobody
    picked up)? Then what the caller said before is context, not a turn to answer."""
    return bool(_OFFERS_MESSAGE.search(instructions or ""))


def _apology(instructions: str) -> str:
    """The apology the bridge's response instructions ask for. They carry the session's own
    instructions too (whose opening hours may say "closed"), so the bridge's exact phrases
    decide, the unanswered handoff's first."""
    text = instructions.lower()
    if "nobody could pick up" in text:
        return "I'm sorry, nobody could pick up just now."
    if "shop is closed right now" in text:
        return "I'm sorry, the shop is closed right now, so nobody can take your call."
    return "I'm sorry, I can't put you through right now."


def _recall(state: State, text: str) -> None:
    ctx = state.ctx
    p = nlu.parse(text, ctx.today, ctx.services, ctx.makes, ctx.models)
    state.history.append(p.text)
    state.message_about = _about(p) or state.message_about


def _about(p: nlu.Parsed) -> str | None:
    """What a message is about: the words after "about", else the service named."""
    return p.about or (_spoken_service(p.service) if p.service else None)


def _offer_message(state: State, instructions: str) -> list[Action]:
    """The handoff could not ring anyone: apologise and offer a message (no second greeting;
    on a resumed stream the caller is looked up first, in the same breath)."""
    state.ended, state.pending = False, None
    state.greeted = state.introduced = True
    _reset_task(state)
    state.intent, state.message_wanted = "message", False
    apology = _apology(instructions)
    if "take_message" not in (state.ctx.tool_names or {"take_message"}):
        return _anything_else(state, apology)
    if state.ctx.direction == "inbound" and not state.looked_up:
        return _call(state, "lookup_customer", {}, apology)
    return _ask(state, "message_offer", MESSAGE_OFFER, apology)


def _accept_message(state: State, p: nlu.Parsed) -> list[Action]:
    if state.intent != "message":
        _reset_task(state)
    state.intent, state.message_wanted = "message", True
    state.message_about = _about(p) or state.message_about
    return _advance(state)


def _answer_message_offer(state: State, p: nlu.Parsed) -> list[Action] | None:
    if p.yes:
        return _accept_message(state, p)
    if p.no:
        state.intent = None
        return _anything_else(state, "No problem. I can also book an appointment for you.")
    return None


def _advance_message(state: State) -> list[Action]:
    if not state.message_wanted:
        return _ask(state, "message_offer", MESSAGE_OFFER)
    name = (state.customer or {}).get("name") or state.name
    if not name:
        return _ask(state, "name", "Sure. May I have your first and last name for the message?")
    if not state.message_about:
        return _ask(state, "message_about", "And what is the message about?")
    arguments = {"caller_name": name, "about": state.message_about}
    if phone := (state.customer or {}).get("phone"):
        arguments["callback_number"] = phone
    if state.vehicles[:1]:
        arguments["vehicle"] = str(state.vehicles[0].get("label") or "")
    return _call(state, "take_message", arguments)


def _on_message_taken(state: State, out: dict) -> list[Action]:
    about = state.message_about or "your call"
    state.message_wanted, state.message_about = False, None
    if not _ok(out):
        return _anything_else(state, _message(out))
    first = _first_name(state)
    thanks = f"Thanks, {first}." if first else "Thank you."
    return _anything_else(
        state,
        f"{thanks} I've taken your message about {about}, and someone will call you back "
        "on the number you're calling from.",
    )


# --- tool results ----------------------------------------------------------------------------


def _on_tool(state: State, name: str, out: dict) -> list[Action]:
    if state.pending == name:
        state.pending = None
    on_result = _TOOL_RESULTS.get(name)
    return on_result(state, out) if on_result else []


def _ok(out: dict) -> bool:
    return out.get("ok", True) is not False


def _message(out: dict) -> str:
    return str(out.get("message") or "Sorry, that didn't work.")


def _on_lookup(state: State, out: dict) -> list[Action]:
    state.looked_up = True
    if _ok(out) and out.get("found") and out.get("customer"):
        state.customer = out["customer"]
        state.vehicles = list(out.get("vehicles") or [])
        if len(state.vehicles) == 1:
            state.vehicle_id = state.vehicles[0].get("vehicle_id")
        if state.intent or state.service:
            return _advance(state)
        return _ask(state, "intent", "How can I help you today?", f"Hi {_first_name(state)}!")
    if state.intent == "message" or (state.name and state.new_vehicle.make):
        return _advance(state)
    return _ask(
        state,
        "name",
        "May I have your first and last name, please?",
        "I don't see this number in our system yet, so let's get you set up.",
    )


def _on_registered(state: State, out: dict) -> list[Action]:
    if not _ok(out):
        return _handoff(state, "could not register the caller")
    state.customer = {"customer_id": out.get("customer_id"), "name": state.name}
    state.vehicle_id = out.get("vehicle_id")
    v = state.new_vehicle
    state.vehicles = [{"vehicle_id": state.vehicle_id, "label": f"{v.year} {v.make} {v.model}"}]
    if state.intent or state.service:
        return [Say(f"Thanks, {_first_name(state)}, you're all set."), *_advance(state)]
    return _ask(
        state,
        "intent",
        "How can I help you today?",
        f"Thanks, {_first_name(state)}, you're all set.",
    )


def _on_availability(state: State, out: dict) -> list[Action]:
    if not _ok(out):
        if out.get("error") == "unknown_service":
            state.service, state.search = None, None
            return [Say(_message(out)), *_advance(state)]
        state.day, state.search = None, None
        return _ask(state, "day", "What other day would work for you?", _message(out))
    state.slots = list(out.get("slots") or [])
    state.offer_index = 0
    if not state.slots:
        day = _spoken_day(state.day) if state.day else "that day"
        state.day, state.time_pref, state.search = None, None, None
        return _ask(
            state,
            "day",
            "What other day would work for you?",
            f"Sorry, there's nothing free on {day}.",
        )
    return _offer(state)


def _on_booking(state: State, out: dict, *, verb: str) -> list[Action]:
    """`book_appointment` ("booked") or `reschedule_appointment` ("moved") came back."""
    if not _ok(out):
        alternatives = list(out.get("alternatives") or [])
        if alternatives:
            state.slots, state.offer_index = alternatives, 0
            return _offer(state, _message(out))
        state.day, state.time_pref, state.search = None, None, None
        return _ask(state, "day", "What other day would work for you?", _message(out))
    appt = out.get("appointment") or {}
    state.booked = appt
    service = _spoken_service(appt if appt.get("service_type") else state.service)
    text = f"You're all set. Your {service} is {verb} for {_spoken_appt(appt)}."
    if appt.get("appointment_id") and "send_sms_confirmation" in (
        state.ctx.tool_names or {"send_sms_confirmation"}
    ):
        return _call(
            state, "send_sms_confirmation", {"appointment_id": appt["appointment_id"]}, text
        )
    return _anything_else(state, text)


def _on_sms(state: State, out: dict) -> list[Action]:
    sent = _ok(out) and out.get("sent", True)
    return _anything_else(state, "I've texted you a confirmation." if sent else "")


def _on_upcoming(state: State, out: dict) -> list[Action]:
    state.appointments = list(out.get("appointments") or []) if _ok(out) else []
    if state.intent == "confirm" and not state.target and state.ctx.appointment_id:
        state.target = next(
            (a for a in state.appointments if a.get("appointment_id") == state.ctx.appointment_id),
            None,
        )
    if state.intent == "confirm" and not state.appointments:
        return _anything_else(state, "I don't see an upcoming appointment for you after all.")
    return _advance(state)


def _on_confirmed(state: State, out: dict) -> list[Action]:
    if not _ok(out):
        return _anything_else(state, _message(out))
    return _anything_else(state, "Thank you, your appointment is confirmed. We'll see you then.")


def _on_cancelled(state: State, out: dict) -> list[Action]:
    if not _ok(out):
        return _anything_else(state, _message(out))
    state.appointments = None
    return _anything_else(state, "Your appointment is cancelled.")


def _on_history(state: State, out: dict) -> list[Action]:
    records = list(out.get("records") or []) if _ok(out) else []
    if not records:
        return _anything_else(state, "I don't see any past services on file.")
    parts = []
    for r in records[:3]:
        what = _spoken_service(r.get("service_type") or r.get("description"))
        day = r.get("day") or r.get("date") or ""
        with contextlib.suppress(ValueError):
            day = _spoken_day(dt.date.fromisoformat(str(day)[:10]))
        parts.append(f"{what} on {day}" if day else what)
    return _anything_else(state, "Your most recent services: " + "; ".join(parts) + ".")


def _on_do_not_call(state: State, out: dict) -> list[Action]:
    return _goodbye(state, "Done. We won't call you again.")


def _on_call_leaving(state: State, out: dict) -> list[Action]:
    """`request_operator_handoff` or `end_call`: the call is the bridge's to end now."""
    if not _ok(out):
        return _anything_else(state, _message(out))
    state.ended = True
    return []


_TOOL_RESULTS: dict[str, Callable[[State, dict], list[Action]]] = {
    "lookup_customer": _on_lookup,
    "register_customer": _on_registered,
    "check_availability": _on_availability,
    "book_appointment": functools.partial(_on_booking, verb="booked"),
    "reschedule_appointment": functools.partial(_on_booking, verb="moved"),
    "send_sms_confirmation": _on_sms,
    "get_upcoming_appointments": _on_upcoming,
    "confirm_appointment": _on_confirmed,
    "cancel_appointment": _on_cancelled,
    "get_service_history": _on_history,
    "set_do_not_call": _on_do_not_call,
    "request_operator_handoff": _on_call_leaving,
    "end_call": _on_call_leaving,
    "take_message": _on_message_taken,
}
