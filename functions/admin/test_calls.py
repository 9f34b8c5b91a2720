"""`POST /admin/test-calls`: a staff member places a test call from the browser.

Thin: who is asking (the verified token's `sub` and sign-in session), then
`pitstop.admin.test_calls` records the call and grants its stream. The answer is what the
browser's phone (`console/phone.js`) needs to speak Twilio's Media Streams protocol to the
bridge: its URL and the `start` message's `streamSid`, `callSid` and `customParameters`.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from functions.admin.services import Refusal, current_staff, json_response, now, services
from functions.webhook.routing import stream_parameters
from pitstop.admin.test_calls import StaffSession, TestCallRequest, UnknownCustomer, start_test_call
from pitstop.observability import logger, mask_phone
from pitstop.secrets import stream_token_key

router = Router()
# Twilio's `start.mediaFormat`: what the browser's phone sends and plays.
MEDIA_FORMAT = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}


def _asker() -> StaffSession:
    """The staff member (`sub`) and their sign-in session: Cognito's `origin_jti` (the same
    across token refreshes), else the token's own `jti`, else its issue time."""
    staff = current_staff(router)
    event = APIGatewayProxyEventV2(router.current_event.raw_event)
    claims = event.request_context.authorizer.jwt_claim or {}
    session = claims.get("origin_jti") or claims.get("jti") or f"iat-{claims.get('iat', '')}"
    return StaffSession(staff=str(claims.get("sub") or staff.username), session=str(session))


@router.post("/admin/test-calls")
def place(request: Annotated[TestCallRequest, Body()]) -> Response[object]:
    svc = services()
    settings = svc.crm.settings
    try:
        grant, token = start_test_call(svc.crm, request, _asker(), now(), stream_token_key())
    except UnknownCustomer as error:
        raise Refusal(404, "not_found", f"No customer {error}.") from error
    parameters = stream_parameters(
        direction="test",
        customer_number=grant.customer_number,
        customer_id=grant.customer_id,
        shop_id=settings.shop_id,
        appointment_id=None,
        token=token,
    )
    logger.info(
        "test call granted",
        extra={"call_sid": grant.call_sid, "customer_number": mask_phone(grant.customer_number)},
    )
    body: dict[str, Any] = {
        **grant.model_dump(mode="json"),
        "bridge_url": settings.bridge_url,
        "start": {
            "streamSid": grant.stream_sid,
            "callSid": grant.call_sid,
            "customParameters": parameters,
            "mediaFormat": MEDIA_FORMAT,
        },
    }
    return json_response(201, body)
