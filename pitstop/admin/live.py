"""The live view's messages: small JSON objects built from call changes.

One plain function for both transports: the Lambda on the table's stream posts them to every
`@connections` connection, and the local stand-in sends them over its own WebSocket server.

Messages (each a JSON object with `type`):
- `call`: a call record as it now stands (`call`: the record)
- `turn`: a transcript line (`call_sid`, `seq`, `role`, `text`, `at`)
- `tool`: a tool call finished (`call_sid`, `seq`, `name`, `ok`, `summary`, `at`)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pitstop.dal.changes import CallChange, call_change


def message_for(change: CallChange) -> dict[str, Any] | None:
    if change.record is not None:
        return {"type": "call", "call": change.record.model_dump(mode="json", exclude_none=True)}
    if change.turn is not None:
        turn = change.turn
        return {
            "type": "turn",
            "call_sid": change.call_sid,
            "seq": change.seq,
            "role": turn.role,
            "text": turn.text,
            "at": turn.at.isoformat(),
        }
    if change.tool_call is not None:
        tool = change.tool_call
        return {
            "type": "tool",
            "call_sid": change.call_sid,
            "seq": change.seq,
            "name": tool.name,
            "ok": tool.ok,
            "summary": tool.result_summary,
            "at": tool.at.isoformat(),
        }
    return None


def live_messages(stream_records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The messages for a batch of stream records, in stream order; other items are skipped."""
    messages = []
    for record in stream_records:
        change = call_change(record)
        message = message_for(change) if change else None
        if message is not None:
            messages.append(message)
    return messages
