"""The tool table: name → (description, argument model, function), and the one way to run a tool.

Everything that lists or runs tools (the tools Lambda, the offline engine, tests) goes through
`definitions()` and `run_tool()`, so the names, schemas and behaviour exist exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from pydantic import BaseModel

from pitstop.dal import Crm
from pitstop.telephony import Telephony
from pitstop.tools import appointments, availability, calls, customers, messaging, vin
from pitstop.tools.context import Refused, ToolContext, ToolEnv
from pitstop.tools.schema import Arguments, function_definition


class UnknownTool(LookupError):
    """No tool by that name (the API answers 404)."""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    arguments: type[Arguments]
    run: Callable[[Arguments, ToolEnv], BaseModel]

    def definition(self) -> dict:
        return function_definition(self.name, self.description, self.arguments)


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool(
            "lookup_customer",
            customers.LOOKUP_CUSTOMER,
            customers.LookupCustomerArgs,
            customers.lookup_customer,
        ),
        Tool(
            "register_customer",
            customers.REGISTER_CUSTOMER,
            customers.RegisterCustomerArgs,
            customers.register_customer,
        ),
        Tool(
            "get_service_history",
            customers.SERVICE_HISTORY,
            customers.ServiceHistoryArgs,
            customers.get_service_history,
        ),
        Tool(
            "check_availability",
            availability.CHECK_AVAILABILITY,
            availability.CheckAvailabilityArgs,
            availability.check_availability,
        ),
        Tool(
            "book_appointment",
            appointments.BOOK_APPOINTMENT,
            appointments.BookAppointmentArgs,
            appointments.book_appointment,
        ),
        Tool(
            "get_upcoming_appointments",
            appointments.UPCOMING,
            appointments.UpcomingArgs,
            appointments.get_upcoming_appointments,
        ),
        Tool(
            "cancel_appointment",
            appointments.CANCEL,
            appointments.CancelArgs,
            appointments.cancel_appointment,
        ),
        Tool(
            "reschedule_appointment",
            appointments.RESCHEDULE,
            appointments.RescheduleArgs,
            appointments.reschedule_appointment,
        ),
        Tool(
            "confirm_appointment",
            appointments.CONFIRM,
            appointments.ConfirmArgs,
            appointments.confirm_appointment,
        ),
        Tool("decode_vin", vin.DECODE_VIN, vin.DecodeVinArgs, vin.decode_vin),
        Tool(
            "send_sms_confirmation",
            messaging.SEND_SMS,
            messaging.SendSmsArgs,
            messaging.send_sms_confirmation,
        ),
        Tool(
            "request_operator_handoff",
            calls.HANDOFF,
            calls.HandoffArgs,
            calls.request_operator_handoff,
        ),
        Tool("end_call", calls.END_CALL, calls.EndCallArgs, calls.end_call),
        Tool(
            "set_do_not_call",
            customers.DO_NOT_CALL,
            customers.DoNotCallArgs,
            customers.set_do_not_call,
        ),
    )
}


@cache
def _definitions() -> tuple[dict, ...]:
    return tuple(tool.definition() for tool in TOOLS.values())


def definitions() -> list[dict]:
    """Every tool as a Realtime `session.tools` entry (fresh copies: callers may mutate them)."""
    import copy

    return copy.deepcopy(list(_definitions()))


def run_tool(
    name: str,
    arguments: dict,
    context: ToolContext,
    crm: Crm,
    telephony: Telephony,
    now: datetime | None = None,
) -> dict:
    """Validate `arguments` and run the tool for the call in `context`; returns the JSON result.

    Raises `UnknownTool`, or pydantic's `ValidationError` for bad arguments. Domain refusals are
    results (`{"ok": false, "error", "message", ...}`), because the agent must talk about them.
    """
    tool = TOOLS.get(name)
    if tool is None:
        raise UnknownTool(name)
    args = tool.arguments.model_validate(arguments or {})
    env = ToolEnv(context, crm, telephony, now)
    try:
        result = tool.run(args, env)
    except Refused as refused:
        return refused.refusal.model_dump(mode="json")
    return result.model_dump(mode="json")
