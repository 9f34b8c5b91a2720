"""A session is confirmed before any audio flows: the server's echo must match what was asked.

GA answers `session.update` with `session.updated` (what it applied) or an `error` (and keeps
the session as it was: PCM at 24 kHz, which on a phone line is static). So the bridge waits for
the echo with a short deadline and checks the formats, the voice and the tools; a rejected or
partly applied update is retried once with the minimal configuration, and whatever was
rejected is logged. A link that says nothing in time is dead.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any

from media_bridge import realtime_side as rt
from media_bridge.fastjson import loads
from media_bridge.observability import logger
from media_bridge.realtime_events import (
    EchoAudio,
    EchoSession,
    ErrorEvent,
    SessionUpdated,
    ValidationError,
)
from media_bridge.ws import ConnectionClosed


class Setup(Enum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"  # the server refused even the minimal session: no use trying again
    SILENT = "silent"  # no answer in time, or the link closed: a dead link


def mismatches(asked: rt.Event, echo: EchoSession) -> list[str]:
    """What the server did not apply of `asked` (a `session.update`), as readable problems."""
    session = asked["session"]
    audio = echo.audio
    found = []
    input_format = audio.input.format if audio and audio.input else None
    output = audio.output if audio else None
    if input_format is None or input_format.type != rt.PCMU["type"]:
        found.append(f"input format {input_format.model_dump() if input_format else None}")
    if output is None or output.format is None or output.format.type != rt.PCMU["type"]:
        got = output.format.model_dump() if output and output.format else None
        found.append(f"output format {got}")
    voice = session["audio"]["output"].get("voice")
    if voice is not None and (output is None or output.voice != voice):
        found.append(f"voice {output.voice if output else None} instead of {voice}")
    found += _settings_mismatches(session["audio"], audio)
    applied = {t.name for t in echo.tools or []}
    missing = sorted({t["name"] for t in session["tools"]} - applied)
    if missing:
        found.append(f"tools missing: {', '.join(missing)}")
    return found


def _settings_mismatches(asked: dict[str, Any], audio: EchoAudio | None) -> list[str]:
    """The shop's audio settings (turn detection, noise reduction, speed) the server did not
    apply: each asked key must come back with the asked value."""
    echo_input = audio.input if audio else None
    echo_output = audio.output if audio else None
    found = []
    detection = asked["input"].get("turn_detection")
    got = (echo_input.turn_detection if echo_input else None) or {}
    if detection is not None and any(got.get(k) != v for k, v in detection.items()):
        found.append(f"turn detection {got or None} instead of {detection}")
    if "noise_reduction" in asked["input"]:
        wanted = asked["input"]["noise_reduction"]
        applied = echo_input.noise_reduction if echo_input else None
        if (wanted or {}).get("type") != (applied or {}).get("type"):
            found.append(f"noise reduction {applied} instead of {wanted}")
    speed = asked["output"].get("speed")
    applied_speed = echo_output.speed if echo_output else None
    if speed is not None and (applied_speed is None or abs(applied_speed - speed) > 1e-6):
        found.append(f"speed {applied_speed} instead of {speed}")
    return found


async def configure(link: rt.RealtimeLink, full: rt.Event, within: float) -> Setup:
    """Configure the session on `link`: the full update, else once the minimal one."""
    problems = await _apply(link, full, within)
    if problems is None:
        return Setup.SILENT
    if not problems:
        return Setup.CONFIRMED
    logger.warning(
        "session update not applied; retrying with the minimal session",
        extra={"problems": problems},
    )
    problems = await _apply(link, rt.minimal_session(full), within)
    if problems is None:
        return Setup.SILENT
    if problems:
        logger.error("minimal session not applied either", extra={"problems": problems})
        return Setup.REJECTED
    return Setup.CONFIRMED


async def _apply(link: rt.RealtimeLink, update: rt.Event, within: float) -> list[str] | None:
    """Send `update`; the problems with what the server applied, or None if it never said."""
    try:
        await link.send(update)
        async with asyncio.timeout(within):
            async for text in link.ws:
                answer = _answer(text, update)
                if answer is not None:
                    return answer
    except (TimeoutError, ConnectionClosed):
        pass
    logger.warning("no session.updated from the realtime server", extra={"seconds": within})
    return None


def _answer(text: str | bytes, update: rt.Event) -> list[str] | None:
    """The problems if `text` answers the update (`session.updated` or `error`), else None."""
    try:
        event: dict[str, Any] = loads(text)
        kind = event.get("type")
        if kind == "session.updated":
            return mismatches(update, SessionUpdated.model_validate(event).session)
        if kind == "error":
            error = ErrorEvent.model_validate(event).error
            return [f"error {error.code}: {error.message[:200]} (param {error.param})"]
    except (ValueError, TypeError, AttributeError, ValidationError):
        return None  # not an answer (session.created, garbage): keep waiting
    return None
