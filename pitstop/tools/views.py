"""How slots and appointments are shown to the model: ISO times for tools, `spoken` for people.

The model reads `spoken` aloud, so it is written the way a receptionist says a time in the
shop's language ("Tuesday, December 1 at 9:00 AM" in English), never as an ISO
string or a 24-hour clock.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from pitstop.dal import ShopCatalog
from pitstop.i18n import DEFAULT_LANGUAGE
from pitstop.i18n.formats import spoken_datetime
from pitstop.models import Appointment, Vehicle


class SlotView(BaseModel):
    start: str
    end: str
    bay: str
    spoken: str

    @classmethod
    def of(cls, start: datetime, end: datetime, bay: str, lang: str = DEFAULT_LANGUAGE) -> SlotView:
        return cls(
            start=start.isoformat(),
            end=end.isoformat(),
            bay=bay,
            spoken=spoken_datetime(start, lang),
        )


class VehicleView(BaseModel):
    vehicle_id: str
    label: str
    vin: str | None = None
    mileage: int | None = None

    @classmethod
    def of(cls, vehicle: Vehicle) -> VehicleView:
        return cls(
            vehicle_id=vehicle.vehicle_id,
            label=vehicle.label,
            vin=vehicle.vin,
            mileage=vehicle.mileage,
        )


class AppointmentView(BaseModel):
    appointment_id: str
    service_type: str
    service_name: str
    start: str
    end: str
    bay: str
    status: str
    vehicle: VehicleView | None = None
    spoken: str

    @classmethod
    def of(
        cls, appointment: Appointment, catalog: ShopCatalog | None, vehicle: Vehicle | None
    ) -> AppointmentView:
        service = catalog.services.get(appointment.service_type) if catalog else None
        return cls(
            appointment_id=appointment.appointment_id,
            service_type=appointment.service_type,
            service_name=service.name if service else appointment.service_type.replace("_", " "),
            start=appointment.start.isoformat(),
            end=appointment.end.isoformat(),
            bay=appointment.bay,
            status=str(appointment.status),
            vehicle=VehicleView.of(vehicle) if vehicle else None,
            spoken=spoken_datetime(
                appointment.start, catalog.settings.language if catalog else DEFAULT_LANGUAGE
            ),
        )
