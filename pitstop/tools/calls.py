"""Call control the bridge carries out: handing over to a person, and ending the call.

The tools API cannot act on the live media stream, so these tools only record the request and
answer with `action`; the bridge, which owns the call, performs it when it sees the result.
"""

from __future__ import annotations

from pydantic import Field

from pitstop.tools.context import ToolEnv
from pitstop.tools.schema import Arguments, Result


class HandoffArgs(Arguments):
    reason: str = Field(
        min_length=1, max_length=300, description="Why a person is needed, briefly."
    )


class HandoffResult(Result):
    action: str = "handoff"
    reason: str
    shop_phone: str
    message: str


HANDOFF = (
    "Transfer the call to a member of staff. Use it when the caller asks for a person, is upset, "
    "asks for something you cannot do (quotes beyond the price list, complaints, warranty or "
    "legal questions), or after two failed attempts at the same task. Tell the caller you are "
    "connecting them; the transfer happens right after this returns action='handoff'."
)


def request_operator_handoff(args: HandoffArgs, env: ToolEnv) -> HandoffResult:
    sid = env.context.call_sid
    if sid and env.crm.calls.get(sid) is not None:  # never create a half record for an unknown call
        env.crm.calls.set_fields(sid, {"handoff_reason": args.reason})
    return HandoffResult(
        reason=args.reason,
        shop_phone=env.catalog.shop.phone,
        message="Connecting you to a member of our team.",
    )


class EndCallArgs(Arguments):
    reason: str | None = Field(
        default=None, max_length=300, description="Why the call ends, briefly."
    )


class EndCallResult(Result):
    action: str = "end_call"
    reason: str | None = None


END_CALL = (
    "Hang up, after you have said goodbye and the caller has nothing else. Use it also when the "
    "call reached voicemail or the caller stays silent. Returns action='end_call'; the line is "
    "closed right after."
)


def end_call(args: EndCallArgs, env: ToolEnv) -> EndCallResult:
    return EndCallResult(reason=args.reason)
