"""The table's key design: the one place that knows how entities map to `pk`/`sk`/`gsi1`.

Access patterns (each one request unless stated):
- shop catalogue (profile, services, bays, agent settings): Query `SHOP#<shop_id>`
- customer by phone: GetItem `PHONE#<e164>` → customer_id, then Query `CUSTOMER#<id>` (2 requests)
- a customer's profile, vehicles, history and appointments: Query `CUSTOMER#<id>`
- one appointment of a customer (ownership by key): GetItem `CUSTOMER#<id>` / `APPT#<id>`
- appointments on a day (reminders): Query gsi1 `DAY#<shop_id>#<date>`
- taken bay time on a day (availability): Query `SLOTS#<shop_id>#<date>`
- a vehicle's booked time (one vehicle, one place at a time): items `VTIME#<vehicle_id>#<date>`
- a call's record, transcript and tool calls: Query `CALL#<call_sid>`
- calls started on a UTC day (the console's call log): Query gsi1 `CALLS#<shop_id>#<utc date>`,
  sorted by start time (the call record carries these index keys)
- the agent settings' change history: Query `SETTINGSLOG#<shop_id>` (one item per version);
  the shop profile's `SHOPLOG#<shop_id>` and the catalogue's `CATALOGLOG#<shop_id>` alike (the
  catalogue's version is the `CATALOG` item in the shop's partition, beside its services and bays)
- the console's open live-view connections: Query `LIVE#<shop_id>` (items expire by `ttl`)
- is the bridge fleet alive: GetItem `HEARTBEAT#<shop_id>` / `FLEET` (the latest beat of any
  bridge task: every task overwrites it, so a stale one means none beats; by `ttl`)
- answering an inbound call: one BatchGetItem of the shop's `PROFILE` and `SETTINGS`, the
  fleet's beat and the caller's `PHONE#<e164>` owner (`pitstop.dal.call_setup`)
- the shop's messages, oldest first: Query `MESSAGES#<shop_id>`; one message: GetItem `MSG#<id>`
- an appointment's text exchanges, oldest first: Query `CUSTOMER#<id>` / begins_with
  `TEXT#<appointment_id>#` (in the customer's partition, beside the appointment)
- customers by name (verifying a caller from an unknown number): Query
  `NAME#<shop_id>#<normalised full name>` → one item per customer of that name
- customers by plate / VIN (the console's search): Query `PLATE#<shop_id>#<plate, letters and
  digits upper-cased>`, or `VINEND#<shop_id>#<last 6 of the VIN>` (sort key: the full VIN, so
  a longer ending is checked on it) → one item per vehicle, written with the vehicle
- a texted verification code for one call: GetItem `CUSTOMER#<id>` / `VCODE#<call_sid>`
  (beside the customer it proves, expiring by `ttl`)
- tool side effects done once (Powertools idempotency records): `IDEMPOTENCY#<shop_id>` / hash
- the shop's price table (what the after-call cost uses): GetItem `PRICES#<shop_id>` / `LIVE`;
  its versions: Query `PRICESLOG#<shop_id>` (as the settings' history)
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Final

PK, SK, GSI1_PK, GSI1_SK, GSI1, TTL = "pk", "sk", "gsi1pk", "gsi1sk", "gsi1", "ttl"

# Fixed sort keys: one item of its kind in its partition.
PROFILE: Final = "PROFILE"  # a shop's profile (`SHOP#`) or a customer's (`CUSTOMER#`)
SETTINGS: Final = "SETTINGS"  # the shop's agent settings
CATALOG: Final = "CATALOG"  # the version of the shop's services and bays
PHONE_OWNER: Final = "CUSTOMER"  # under `PHONE#<e164>`: which customer has that number
FLEET: Final = "FLEET"  # under `HEARTBEAT#<shop_id>`: the bridge fleet's latest beat
CALL_RECORD: Final = "RECORD"  # under `CALL#<sid>`: the call record itself

# Key prefixes: the kind of an item, then its identity.
SHOP: Final = "SHOP#"
PHONE: Final = "PHONE#"
CUSTOMER: Final = "CUSTOMER#"
SERVICE_TYPE: Final = "SERVICE#"  # in the shop's partition: SERVICE#<code>
BAY: Final = "BAY#"
VEHICLE: Final = "VEHICLE#"
SERVICE_RECORD: Final = "SERVICE#"  # in a customer's partition: SERVICE#<date>#<record_id>
APPOINTMENT: Final = "APPT#"
DAY: Final = "DAY#"
SLOTS: Final = "SLOTS#"
VEHICLE_TIME: Final = "VTIME#"
CALL: Final = "CALL#"
TURN: Final = "TURN#"
TOOL_CALL: Final = "TOOL#"
CALLS_DAY: Final = "CALLS#"
SETTINGS_LOG: Final = "SETTINGSLOG#"
SETTINGS_VERSION: Final = "V#"
SHOP_LOG: Final = "SHOPLOG#"  # the shop profile's versions, as `SETTINGSLOG#` for the agent
CATALOG_LOG: Final = "CATALOGLOG#"  # the catalogue's versions, likewise
LIVE: Final = "LIVE#"
CONNECTION: Final = "CONN#"
HEARTBEAT: Final = "HEARTBEAT#"
MESSAGES: Final = "MESSAGES#"
MESSAGE: Final = "MSG#"
TEXT: Final = "TEXT#"
IDEMPOTENCY: Final = "IDEMPOTENCY#"
NAME: Final = "NAME#"
VERIFY_CODE: Final = "VCODE#"
PLATE: Final = "PLATE#"
VIN_ENDING: Final = "VINEND#"
#: How many trailing VIN characters the VIN index is partitioned by (the shortest search).
VIN_ENDING_LEN: Final = 6
PRICES: Final = "PRICES#"  # the price table's live item: `PRICES#<shop_id>` / `PRICES_LIVE`
PRICES_LIVE: Final = "LIVE"
PRICES_LOG: Final = "PRICESLOG#"


def prices(shop_id: str) -> str:
    return f"{PRICES}{shop_id}"


def prices_log(shop_id: str) -> str:
    return f"{PRICES_LOG}{shop_id}"


def shop(shop_id: str) -> str:
    return f"{SHOP}{shop_id}"


def service_type_sk(code: str) -> str:
    return f"{SERVICE_TYPE}{code}"


def bay_sk(bay: str) -> str:
    return f"{BAY}{bay}"


def phone(e164: str) -> str:
    return f"{PHONE}{e164}"


def customer(customer_id: str) -> str:
    return f"{CUSTOMER}{customer_id}"


def vehicle_sk(vehicle_id: str) -> str:
    return f"{VEHICLE}{vehicle_id}"


def service_record_sk(day: date, record_id: str) -> str:
    return f"{SERVICE_RECORD}{day.isoformat()}#{record_id}"


def appointment_sk(appointment_id: str) -> str:
    return f"{APPOINTMENT}{appointment_id}"


def day_index(shop_id: str, day: date) -> str:
    return f"{DAY}{shop_id}#{day.isoformat()}"


def day_index_sort(start: datetime, appointment_id: str) -> str:
    return f"{start.isoformat()}#{appointment_id}"


def slots(shop_id: str, day: date) -> str:
    return f"{SLOTS}{shop_id}#{day.isoformat()}"


def slot_sk(bay: str, hhmm: str) -> str:
    return f"{bay}#{hhmm}"


def vehicle_time(vehicle_id: str, day: date) -> str:
    return f"{VEHICLE_TIME}{vehicle_id}#{day.isoformat()}"


def call(call_sid: str) -> str:
    return f"{CALL}{call_sid}"


def turn_sk(seq: int) -> str:
    return f"{TURN}{seq:05d}"


def tool_sk(seq: int) -> str:
    return f"{TOOL_CALL}{seq:05d}"


def calls_day(shop_id: str, utc_day: date) -> str:
    return f"{CALLS_DAY}{shop_id}#{utc_day.isoformat()}"


def calls_day_sort(started_utc: datetime, call_sid: str) -> str:
    return f"{started_utc.isoformat()}#{call_sid}"


def settings_log(shop_id: str) -> str:
    return f"{SETTINGS_LOG}{shop_id}"


def shop_log(shop_id: str) -> str:
    return f"{SHOP_LOG}{shop_id}"


def settings_version_sk(version: int) -> str:
    return f"{SETTINGS_VERSION}{version:06d}"


def live(shop_id: str) -> str:
    return f"{LIVE}{shop_id}"


def connection_sk(connection_id: str) -> str:
    return f"{CONNECTION}{connection_id}"


def heartbeats(shop_id: str) -> str:
    return f"{HEARTBEAT}{shop_id}"


def messages(shop_id: str) -> str:
    return f"{MESSAGES}{shop_id}"


def message_sk(message_id: str) -> str:
    return f"{MESSAGE}{message_id}"


def text_prefix(appointment_id: str) -> str:
    return f"{TEXT}{appointment_id}#"


def text_sk(appointment_id: str, at: datetime, text_id: str) -> str:
    return f"{text_prefix(appointment_id)}{at.isoformat()}#{text_id}"


def idempotency(shop_id: str) -> str:
    return f"{IDEMPOTENCY}{shop_id}"


def normalise_name(name: str) -> str:
    """A spoken or typed full name as the index stores it: "José  O'Neil" → "jose o neil".

    Accents, case, punctuation and spacing are what a transcript gets wrong about a name, so
    they are dropped on both sides of the lookup."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.split(r"[^a-z0-9]+", plain.casefold())).strip()


def name_index(shop_id: str, name: str) -> str:
    return f"{NAME}{shop_id}#{normalise_name(name)}"


def plain_id(value: str) -> str:
    """A plate or VIN as the indexes store it: letters and digits only, upper case ("pit 4821"
    and "PIT-4821" are one plate)."""
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def plate_index(shop_id: str, plate: str) -> str:
    return f"{PLATE}{shop_id}#{plain_id(plate)}"


def vin_index(shop_id: str, vin: str) -> str:
    return f"{VIN_ENDING}{shop_id}#{plain_id(vin)[-VIN_ENDING_LEN:]}"


def vin_index_sk(vin: str, vehicle_id: str) -> str:
    return f"{plain_id(vin)}#{vehicle_id}"


def verify_code_sk(call_sid: str) -> str:
    return f"{VERIFY_CODE}{call_sid}"


def item_key(pk: str, sk: str) -> dict[str, str]:
    """The primary key of one item, as GetItem, UpdateItem and transactions take it."""
    return {PK: pk, SK: sk}
