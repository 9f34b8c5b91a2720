"""The tool table: name → (description, argument model, function), and the one way to run a tool.

Everything that lists or runs tools (the tools Lambda, the offline engine, tests) goes through
`definitions()` and `run_tool()`, so the names, schemas and behaviour exist exactly once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.utilities.typing import LambdaContext

from pitstop.dal import Crm
from pitstop.telephony import HeldTexts, Telephony
from pitstop.tools import (
    appointments,
    availability,
    calls,
    customers,
    messaging,
    take_message,
    verify,
    vin,
)
from pitstop.tools.context import Refused, ToolContext, ToolEnv
from pitstop.tools.once import run_once
from pitstop.tools.schema import Arguments, Result, function_definition

A = TypeVar("A", bound=Arguments)


class UnknownTool(LookupError):
    """No tool by that name (the API answers 404)."""


@dataclass(frozen=True)
class Tool(Generic[A]):
    """One tool: its argument model and the function that takes exactly that model.

    `Tool("x", ..., FooArgs, handler)` type-checks only if `handler` accepts `FooArgs`.
    """

    name: str
    description: str
    arguments: type[A]
    handler: Callable[[A, ToolEnv], Result]
    # Books, moves, cancels, texts or records something: run once per call and arguments.
    side_effect: bool = False

    def definition(self) -> dict[str, Any]:
        return function_definition(self.name, self.description, self.arguments)

    def run(
        self,
        arguments: Mapping[str, object],
        env: ToolEnv,
        lambda_context: LambdaContext | None = None,
    ) -> dict[str, Any]:
        """Validate the model's arguments (pydantic's `ValidationError`), run the handler.

        A side effect runs at most once per call and (validated) arguments (`run_once`); a
        refusal raises `Refused` and is remembered by nobody."""
        args = self.arguments.model_validate(arguments)
        claimed = getattr(args, "customer_id", None)
        if claimed:  # someone else's account is refused before anything is read or recorded
            env.require_customer(claimed)
        if not (self.side_effect and env.context.call_sid):
            return self.handler(args, env).model_dump(mode="json")
        request = {
            "call_sid": env.context.call_sid,
            "tool": self.name,
            "arguments": args.model_dump(mode="json"),
        }
        return run_once(
            env.crm.idempotency,
            request,
            lambda: self.handler(args, env).model_dump(mode="json"),
            lambda_context,
        )


# `Any`: each entry has its own argument model; `Tool` checked each pairing on construction.
TOOLS: dict[str, Tool[Any]] = {
    t.name: t
    for t in (
        Tool(
            "lookup_customer",
            customers.LOOKUP_CUSTOMER,
            customers.LookupCustomerArgs,
            customers.lookup_customer,
        ),
        Tool(
            "verify_customer",
            verify.VERIFY_CUSTOMER,
            verify.VerifyCustomerArgs,
            verify.verify_customer,
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
            side_effect=True,
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
            side_effect=True,
        ),
        Tool(
            "reschedule_appointment",
            appointments.RESCHEDULE,
            appointments.RescheduleArgs,
            appointments.reschedule_appointment,
            side_effect=True,
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
            side_effect=True,
        ),
        Tool(
            "request_operator_handoff",
            calls.HANDOFF,
            calls.HandoffArgs,
            calls.request_operator_handoff,
        ),
        Tool(
            "take_message",
            take_message.TAKE_MESSAGE,
            take_message.TakeMessageArgs,
            take_message.take_message,
            side_effect=True,
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
def _definitions() -> tuple[dict[str, Any], ...]:
    return tuple(tool.definition() for tool in TOOLS.values())


def definitions() -> list[dict[str, Any]]:
    """Every tool as a Realtime `session.tools` entry (fresh copies: callers may mutate them)."""
    return copy.deepcopy(list(_definitions()))


def run_tool(
    name: str,
    arguments: Mapping[str, object] | None,
    context: ToolContext,
    crm: Crm,
    telephony: Telephony,
    now: datetime | None = None,
    lambda_context: LambdaContext | None = None,
) -> dict[str, Any]:
    """Validate `arguments` and run the tool for the call in `context`; returns the JSON result.

    `lambda_context` (in the tools Lambda) bounds how long a side effect's in-progress record
    holds back a retry: until the invocation would have timed out.

    Raises `UnknownTool`, or pydantic's `ValidationError` for bad arguments. Domain refusals are
    results (`{"ok": false, "error", "message", ...}`), because the agent must talk about them.
    """
    tool = TOOLS.get(name)
    if tool is None:
        raise UnknownTool(name)
    if context.direction == "test":  # the console's test call: its texts are held, not sent
        telephony = HeldTexts(crm.calls, context.call_sid)
    env = ToolEnv(context, crm, telephony, now)
    try:
        return tool.run(arguments or {}, env, lambda_context)
    except Refused as refused:
        return refused.refusal.model_dump(mode="json")
