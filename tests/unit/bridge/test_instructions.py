"""Instructions per situation, filled from the shop, the settings and the customer's file."""

from __future__ import annotations

from datetime import UTC, datetime, time

from media_bridge.call_state import CallContext
from media_bridge.instructions import build_instructions
from pitstop.dal import CustomerFile
from pitstop.models import (
    AgentSettings,
    Appointment,
    Customer,
    OpeningHours,
    ServiceType,
    Shop,
    Vehicle,
)

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
SHOP = Shop(
    shop_id="demo",
    name="Test Garage",
    phone="+15550001111",
    opening_hours={"mon": OpeningHours(opens=time(8), closes=time(17))},
)
SERVICES = [
    ServiceType(
        code="oil_change",
        name="Oil change",
        duration_minutes=30,
        price_min=49,
        price_max=89,
        bays=["b1"],
    )
]
CUSTOMER = CustomerFile(
    customer=Customer(customer_id="cus_1", name="Alex Morgan", phone="+15551230001"),
    vehicles=[
        Vehicle(vehicle_id="veh_1", customer_id="cus_1", make="Honda", model="Civic", year=2018)
    ],
    appointments=[
        Appointment(
            appointment_id="apt_1",
            shop_id="demo",
            customer_id="cus_1",
            vehicle_id="veh_1",
            service_type="oil_change",
            bay="b1",
            start=datetime(2026, 11, 30, 14, 0, tzinfo=UTC),
            end=datetime(2026, 11, 30, 14, 30, tzinfo=UTC),
        )
    ],
)


def context(direction="inbound", appointment_id=None):
    return CallContext("CA1", "MZ1", direction, "+15551230001", "cus_1", "demo", appointment_id)


def test_every_situation_says_ai_assistant_and_keeps_to_the_shop():
    for direction, customer in (("inbound", CUSTOMER), ("inbound", None), ("reminder", CUSTOMER)):
        text = build_instructions(
            context(direction, "apt_1"),
            SHOP,
            SERVICES,
            AgentSettings(persona_name="Robin"),
            customer,
            NOW,
        )
        assert "AI assistant" in text and "Robin" in text and "Test Garage" in text
        assert "Only help with the shop's business" in text
        assert "Oil change ($49-$89)" in text


def test_known_customer_is_greeted_by_name_with_vehicles_and_appointments():
    text = build_instructions(context(), SHOP, SERVICES, AgentSettings(), CUSTOMER, NOW)
    assert "known customer: Alex Morgan" in text and "greet Alex by name" in text
    assert "2018 Honda Civic" in text and "apt_1" in text


def test_new_caller_is_asked_to_register():
    text = build_instructions(context(), SHOP, SERVICES, AgentSettings(), None, NOW)
    assert "do not know" in text and "register_customer" in text


def test_reminder_names_the_appointment_and_extra_instructions_are_appended():
    text = build_instructions(
        context("reminder", "apt_1"),
        SHOP,
        SERVICES,
        AgentSettings(extra_instructions="Mention the free car wash."),
        CUSTOMER,
        NOW,
    )
    assert "outbound reminder call" in text and "apt_1" in text
    assert "oil change for the 2018 Honda Civic on Monday, November 30" in text
    assert text.rstrip().endswith("Mention the free car wash.")


def test_the_shops_greeting_is_filled_in_and_opens_the_call():
    settings = AgentSettings(
        persona_name="Sam",
        greeting="Hi {customer_first_name}, {shop_name} here, I'm {persona_name}, the AI helper.",
    )
    text = build_instructions(context(), SHOP, SERVICES, settings, CUSTOMER, NOW)
    assert 'in these words: "Hi Alex, Test Garage here, I\'m Sam, the AI helper."' in text
    assert "greet Alex by name" not in text
    new = build_instructions(context(), SHOP, SERVICES, settings, None, NOW)
    assert '"Hi the caller, Test Garage here' in new and "register_customer" in new


def test_a_greeting_without_the_ai_disclosure_still_says_it_is_an_ai_assistant():
    settings = AgentSettings(persona_name="Sam", greeting="Thanks for calling {shop_name}!")
    text = build_instructions(context(), SHOP, SERVICES, settings, CUSTOMER, NOW)
    assert 'in these words: "Thanks for calling Test Garage! I\'m Sam, an AI assistant."' in text


def test_an_empty_greeting_keeps_the_default_wording():
    text = build_instructions(
        context(), SHOP, SERVICES, AgentSettings(greeting="  "), CUSTOMER, NOW
    )
    assert "greet Alex by name, introduce yourself as Robin, the AI assistant" in text
    assert "in these words" not in text


def test_the_shops_own_instructions_have_their_variables_filled_in():
    settings = AgentSettings(
        persona_name="Sam",
        extra_instructions="Call {customer_first_name}; {shop_name}'s line is {shop_phone}.",
    )
    text = build_instructions(context(), SHOP, SERVICES, settings, CUSTOMER, NOW)
    assert text.rstrip().endswith("Call Alex; Test Garage's line is +15550001111.")
    assert "{" not in text
