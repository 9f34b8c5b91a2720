"""Shared, expensive speech objects: built once per test session (acoustic model load,
grammar compilation), as the engine does once per process."""

from __future__ import annotations

import datetime as dt

import pytest

from pitstop_local.speech import grammar
from pitstop_local.speech.asr import Recognizer
from pitstop_local.speech.tts import AGENT_VOICE, CALLER_VOICE, Synthesizer

SERVICES = (
    "oil change", "tire rotation", "brake inspection", "state inspection", "wheel alignment",
    "battery replacement", "air conditioning service", "transmission service",
)  # fmt: skip
DAYS = tuple(dt.date(2025, 11, 24) + dt.timedelta(days=i) for i in range(14))
NAMES = ("john smith", "maria garcia", "alex kim")
VEHICLES = ("honda civic", "toyota camry")


@pytest.fixture(scope="session")
def domain_phrases() -> list[str]:
    return grammar.caller_phrases(SERVICES, days=DAYS, names=NAMES, vehicles=VEHICLES)


@pytest.fixture(scope="session")
def recognizer(domain_phrases) -> Recognizer:
    return Recognizer(domain_phrases)


@pytest.fixture(scope="session")
def caller() -> Synthesizer:
    return Synthesizer(**CALLER_VOICE)


@pytest.fixture(scope="session")
def agent() -> Synthesizer:
    return Synthesizer(**AGENT_VOICE)
