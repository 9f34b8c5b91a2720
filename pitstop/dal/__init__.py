"""The data layer: the only code that knows the table's keys. Start from `Crm`."""

from __future__ import annotations

from pitstop.config import Settings, get_settings
from pitstop.dal.appointments import AppointmentRepository
from pitstop.dal.call_setup import CallSetup, CallSetupReader
from pitstop.dal.calls import CallRepository
from pitstop.dal.catalog_cache import CallCatalogs
from pitstop.dal.customers import CustomerFile, CustomerRepository
from pitstop.dal.errors import (
    DataError,
    NotFound,
    PhoneAlreadyRegistered,
    SlotTaken,
    StaleAppointment,
    VehicleBusy,
)
from pitstop.dal.heartbeats import HeartbeatRepository
from pitstop.dal.idempotency import persistence_layer
from pitstop.dal.messages import MessageRepository
from pitstop.dal.reminders import ReminderRepository
from pitstop.dal.shops import ShopCatalog, ShopRepository
from pitstop.dal.table import create_table, table_for
from pitstop.dal.texts import TextRepository

__all__ = [
    "CallSetup",
    "Crm",
    "CustomerFile",
    "DataError",
    "NotFound",
    "PhoneAlreadyRegistered",
    "ShopCatalog",
    "SlotTaken",
    "StaleAppointment",
    "VehicleBusy",
    "create_table",
]


class Crm:
    """The CRM's repositories over one table, for one shop."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.table = table_for(self.settings)
        self.shops = ShopRepository(self.table, self.settings.shop_id)
        # One catalogue read per call for the tools (`catalog_cache`); the rest read afresh.
        self.call_catalogs = CallCatalogs(self.shops.catalog)
        self.call_setup = CallSetupReader(self.table, self.settings.shop_id)
        self.customers = CustomerRepository(self.table, self.settings.shop_id)
        self.appointments = AppointmentRepository(self.table)
        self.calls = CallRepository(self.table, self.settings.shop_id)
        self.reminders = ReminderRepository(self.table, self.settings.shop_id)
        self.heartbeats = HeartbeatRepository(self.table, self.settings.shop_id)
        self.messages = MessageRepository(self.table, self.settings.shop_id)
        self.texts = TextRepository(self.table)
        # Powertools idempotency records for the tools' side effects (`pitstop.tools.once`).
        self.idempotency = persistence_layer(self.settings)
