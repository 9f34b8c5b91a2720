"""Messages waiting to be handled: what the agent's `take_message` and voicemails left for staff.

Any staff member (advisor or owner) may close one: calling customers back is the desk's job, not
a setting. Closing twice keeps the first close (who, when), so two advisors pressing "Handle" at
once cannot rewrite who actually called back.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.admin.services import Refusal, current_staff, now, services
from pitstop.dal import NotFound
from pitstop.models import MessageStatus
from pitstop.observability import logger

router = Router()


@router.get("/admin/messages")
def list_messages(
    status: Annotated[MessageStatus | None, Query()] = MessageStatus.NEW,
) -> dict[str, Any]:
    """The shop's messages in `status` (new by default), oldest first: the longest wait on top."""
    messages = services().crm.messages.list(status)
    return {"messages": [m.model_dump(mode="json", exclude_none=True) for m in messages]}


@router.post("/admin/messages/<message_id>/handle")
def handle(message_id: str) -> dict[str, Any]:
    staff = current_staff(router)
    try:
        message = services().crm.messages.handle(message_id, staff.username, now())
    except NotFound as error:
        raise Refusal(404, "not_found", f"No message {message_id}.") from error
    logger.info(
        "message handled from the console",
        extra={"call_sid": message.call_sid, "message_id": message_id},
    )
    return {"message": message.model_dump(mode="json", exclude_none=True)}
