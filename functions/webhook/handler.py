"""Twilio voice webhooks: the Lambda behind the HTTP API (payload v2). Parse → decide → TwiML.

Every Twilio route checks the request signature before anything else; a forged request gets 403
having read and written nothing. After that, `/voice` never answers with an error: whatever
fails, the caller hears an apology and is put through to the shop (a 5xx would make Twilio play
its error message). Decisions live in `routing`, CRM work in `flows` (imported on the first
verified request, so cold starts for health checks and forged requests never load boto3).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.webhook import routing, signature
from pitstop import config, handoff, twiml
from pitstop.config import Settings
from pitstop.observability import logger, mask_phone, metrics, tracer
from pitstop.secrets import stream_token_key, twilio_credentials
from pitstop.telephony import telephony_for

if TYPE_CHECKING:
    from pitstop.dal import Crm

SERVICE = "webhook"
TWIML_CONTENT_TYPE = "text/xml"

app = APIGatewayHttpResolver()
_crms: dict[tuple[str, str | None, str, str], Crm] = {}


# --- plumbing ----------------------------------------------------------------------------------
def _flows():
    from functions.webhook import flows

    return flows


def _rescue():
    from functions.webhook import rescue

    return rescue


def _recording():
    from functions.webhook import recording

    return recording


def _reply(form: signature.FormParams, answer: routing.Answer) -> Response:
    """Every call answer goes out here: a fallback is counted (the `FallbackRate` alarm)."""
    if answer.kind == "fallback":
        _count("Fallbacks")
    return _xml(_recorded(form, answer))


def _recorded(form: signature.FormParams, answer: routing.Answer) -> str:
    """The answer's TwiML, recorded by Twilio when the shop records calls (issue 16)."""
    try:
        crm = _crm(_settings())
        return _recording().recorded_answer(crm, answer, form.get("CallSid", "")).twiml
    except Exception:  # recording is never worth a caller's answer
        logger.exception("could not add recording to the answer")
        return answer.twiml


def _settings() -> Settings:
    # Through the module, so a test or tool that swaps `config.get_settings` is honoured.
    return config.get_settings()


def _crm(settings: Settings) -> Crm:
    """One `Crm` per table/shop for the life of the process (boto3 resources are pooled)."""
    key = (settings.table_name, settings.dynamodb_endpoint, settings.aws_region, settings.shop_id)
    crm = _crms.get(key)
    if crm is None:
        from pitstop.dal import Crm

        crm = _crms[key] = Crm(settings)
    return crm


def _now() -> datetime:
    return datetime.now(UTC)


def _count(metric: str) -> None:
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


def _xml(body: str, status: int = 200) -> Response:
    return Response(status_code=status, content_type=TWIML_CONTENT_TYPE, body=body)


class PlaceholderSecret(Exception):
    """The Twilio secret still holds the stack's placeholder: no signature can be trusted."""


def _verified_form() -> signature.FormParams:
    """The POST parameters of this request, once its Twilio signature is proven (else 403)."""
    event = app.current_event
    form = signature.parse_form(signature.decode_body(event.body, bool(event.is_base64_encoded)))
    logger.thread_safe_append_keys(call_sid=form.get("CallSid", ""))
    credentials = twilio_credentials()
    if credentials.placeholder:  # a known "token" signs anything: refuse before verifying
        raise PlaceholderSecret
    url = signature.public_request_url(
        _settings().public_url, event.raw_path, event.raw_query_string or ""
    )
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    signature.verify(credentials.auth_token, url, form, headers)
    return form


def _require_call_sid(form: signature.FormParams) -> None:
    """A verified request without a `CallSid` (or an empty one) is malformed: 400, no writes."""
    if not form.get("CallSid", "").strip():
        raise BadRequestError("CallSid is required")


@app.exception_handler(signature.ForgedRequest)
def _forged(error: signature.ForgedRequest) -> Response:
    logger.warning(
        "forged webhook refused", extra={"reason": str(error), "path": app.current_event.raw_path}
    )
    _count("ForgedRequests")
    return Response(status_code=403, content_type="text/plain", body="Forbidden")


@app.exception_handler(PlaceholderSecret)
def _placeholder(error: PlaceholderSecret) -> Response:
    """Serve nobody while the secret is a placeholder: the caller is put through to the shop."""
    logger.error(
        "Twilio secret holds its placeholder: refusing to serve webhooks until the operator "
        "writes the real auth token into the secret",
        extra={"path": app.current_event.raw_path},
    )
    _count("PlaceholderSecret")
    return _xml(_fallback(_settings(), "placeholder_secret", fresh=True).twiml)


@app.exception_handler(BadRequestError)
def _bad_request(error: BadRequestError) -> Response:
    logger.warning("malformed webhook refused", extra={"reason": str(error)})
    return Response(status_code=400, content_type="text/plain", body="Bad Request")


def _fallback(settings: Settings, reason: str, fresh: bool) -> routing.Answer:
    try:
        return _flows().fallback(_crm(settings), reason, fresh=fresh)
    except Exception:  # even the fallback's own failure must not reach the caller
        logger.exception("fallback failed; apologising without a transfer")
        return routing.fallback_answer(None, None, reason)


# --- routes ------------------------------------------------------------------------------------
@app.get("/health")
def health() -> dict[str, Any]:
    return {"ok": True, "service": SERVICE}


@app.post("/voice")
def voice() -> Response:
    form = _verified_form()
    settings = _settings()
    _count("InboundCalls")
    caller = mask_phone(routing.caller_number(form.get("From")))
    try:
        answer = _flows().answer_inbound(_crm(settings), form, _now(), stream_token_key())
    except Exception:  # the caller hears the fallback, never Twilio's error message
        logger.exception(
            "answering the call failed; falling back", extra={"customer_number": caller}
        )
        answer = _fallback(settings, "error", fresh=False)
    logger.info(
        "inbound call answered",
        extra={"customer_number": caller, "answer": answer.kind, "reason": answer.reason},
    )
    return _reply(form, answer)


@app.post("/voice/reminder")
def voice_reminder() -> Response:
    form = _verified_form()
    settings = _settings()
    query = app.current_event.query_string_parameters or {}
    try:
        answer = _flows().answer_reminder(_crm(settings), form, query, _now(), stream_token_key())
    except Exception:  # as for /voice: never Twilio's error message
        logger.exception("answering the reminder call failed; falling back")
        answer = _fallback(settings, "error", fresh=False)
    logger.info(
        "reminder call answered",
        extra={
            "customer_number": mask_phone(routing.caller_number(form.get("To"))),
            "answer": answer.kind,
            "reason": answer.reason,
            "appointment_id": query.get("appointment_id"),
            "answered_by": form.get("AnsweredBy"),
        },
    )
    return _reply(form, answer)


@app.post("/voice/status")
def voice_status() -> Response:
    form = _verified_form()
    _require_call_sid(form)
    try:
        applied = _flows().record_status(_crm(_settings()), form, _query(), _now())
    except Exception:  # logged with the call SID; Twilio only notes the failed callback
        logger.exception("status callback failed", extra={"twilio_status": form.get("CallStatus")})
        return _xml(twiml.empty_twiml(), status=500)
    logger.info(
        "call status",
        extra={
            "twilio_status": form.get("CallStatus"),
            "applied": applied,
            "duration": form.get("CallDuration"),
            "answered_by": form.get("AnsweredBy"),
        },
    )
    return _xml(twiml.empty_twiml())


@app.post("/voice/fallback")
def voice_fallback() -> Response:
    form = _verified_form()
    answer = _fallback(_settings(), "twilio_fallback", fresh=True)
    logger.warning(
        "twilio used the fallback URL",
        extra={
            "error_code": form.get("ErrorCode"),
            "error_url": form.get("ErrorUrl"),
            "answer": answer.kind,
        },
    )
    return _reply(form, answer)


def _rescued(
    name: str, answer_for: Callable[[Crm, signature.FormParams], routing.Answer]
) -> Response:
    """Run a no-dead-ends route; if it fails, the caller still hears the fallback (a person)."""
    form = _verified_form()
    _require_call_sid(form)
    settings = _settings()
    try:
        answer = answer_for(_crm(settings), form)
    except Exception:  # never Twilio's error tone: apologise and put the caller through
        logger.exception(f"{name} failed; falling back")
        answer = _fallback(settings, "error", fresh=False)
    logger.info(name, extra={"answer": answer.kind, "reason": answer.reason, **_dial_fields(form)})
    _count(f"Rescue{answer.kind.capitalize()}")
    return _reply(form, answer)


def _dial_fields(form: signature.FormParams) -> dict[str, str]:
    return {k: form[k] for k in ("DialCallStatus", "DialCallDuration") if k in form}


def _query() -> dict[str, str]:
    return app.current_event.query_string_parameters or {}


@app.post(handoff.STREAM_ENDED_PATH)
def voice_stream_ended() -> Response:
    return _rescued("stream ended", lambda crm, form: _rescue().stream_ended(crm, form, _now()))


@app.post(handoff.DIAL_ENDED_PATH)
def voice_dial_ended() -> Response:
    return _rescued(
        "handoff dial ended",
        lambda crm, form: _rescue().dial_ended(crm, form, _query(), _now(), stream_token_key()),
    )


@app.post(handoff.WHISPER_PATH)
def voice_whisper() -> Response:
    return _rescued("handoff whisper", lambda crm, form: _rescue().whisper(crm, _query()))


@app.post(handoff.RECORDING_PATH)
def voice_recording() -> Response:
    """Twilio's recording status callback: link the recording on the call's record."""
    form = _verified_form()
    _require_call_sid(form)
    _recording().link_recording(_crm(_settings()), form, _query())
    return _xml(twiml.empty_twiml())


@app.post(handoff.MESSAGE_RECORDED_PATH)
def voice_message_recorded() -> Response:
    return _rescued(
        "message recorded",
        lambda crm, form: _rescue().message_recorded(
            crm, telephony_for(crm.settings), form, _now()
        ),
    )


@app.post("/sms")
def sms() -> Response:
    """A text from a customer (consent keywords, reminder replies): answered with TwiML."""
    form = _verified_form()
    settings = _settings()
    from functions.webhook import texts

    text = texts.Inbound(
        sid=form.get("MessageSid", ""),
        sender=routing.caller_number(form.get("From")),
        body=form.get("Body", ""),
    )
    crm = _crm(settings)
    _count("InboundTexts")
    return _xml(texts.answer_text(crm, telephony_for(settings), text, _now()))


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (API Gateway HTTP API, payload v2)."""
    return app.resolve(event, context)
