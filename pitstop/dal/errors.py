"""Data-layer outcomes that callers must handle (as opposed to faults, which propagate)."""


class DataError(Exception):
    """Base of the data layer's expected refusals."""


class NotFound(DataError):
    """No such item (or not this customer's: ownership is part of the key)."""


class SlotTaken(DataError):
    """Another appointment holds part of the requested bay time."""


class VehicleBusy(DataError):
    """The vehicle is booked in elsewhere for part of the requested time."""

    def __init__(self, appointment_id: str = ""):
        super().__init__(appointment_id)
        self.appointment_id = appointment_id  # the booking that holds the vehicle, if known


class PhoneAlreadyRegistered(DataError):
    """A customer with this phone number exists already."""


class StaleAppointment(DataError):
    """The appointment changed (cancelled, moved) since it was read."""
