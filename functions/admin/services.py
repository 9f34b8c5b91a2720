"""What the admin routes work with, built once per container, and the staff member asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from pitstop import config
from pitstop.admin.staff import Staff, staff_from_claims
from pitstop.config import Settings
from pitstop.dal import Crm
from pitstop.dal.call_log import CallLog
from pitstop.dal.settings_log import CatalogLog, SettingsLog, ShopLog
from pitstop.telephony import Telephony, telephony_for


class Refusal(Exception):
    """Answer with `status` and a JSON error the console shows as it is."""

    def __init__(
        self, http_status: int, error: str, message: str, detail: dict[str, object] | None = None
    ):
        super().__init__(message)
        self.status = http_status
        self.body = {**(detail or {}), "error": error, "message": message}


@dataclass(frozen=True)
class Services:
    crm: Crm
    telephony: Telephony
    call_log: CallLog
    settings_log: SettingsLog
    shop_log: ShopLog
    catalog_log: CatalogLog


@lru_cache(maxsize=1)
def _build(settings: Settings) -> Services:
    crm = Crm(settings)
    return Services(
        crm=crm,
        telephony=telephony_for(settings),
        call_log=CallLog(crm.table, settings.shop_id),
        settings_log=SettingsLog(crm.table, settings.shop_id),
        shop_log=ShopLog(crm.table, settings.shop_id),
        catalog_log=CatalogLog(crm.table, settings.shop_id),
    )


def services() -> Services:
    return _build(config.get_settings())


def now() -> datetime:
    return datetime.now(UTC)


def json_response(status: int, body: object) -> Response[object]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def current_staff(router: Router) -> Staff:
    """Who is asking (the middleware has already refused anyone who is not staff)."""
    event = APIGatewayProxyEventV2(router.current_event.raw_event)
    staff = staff_from_claims(event.request_context.authorizer.jwt_claim)
    if staff is None:
        raise Refusal(401, "unauthorized", "Sign in to use the console.")
    return staff


def require_owner(staff: Staff) -> None:
    if not staff.may_change_settings:
        raise Refusal(403, "forbidden", "Only the shop's owners may change the settings.")
