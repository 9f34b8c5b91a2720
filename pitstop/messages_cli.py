"""`pitstop messages`: the messages callers left for the shop, and closing them once called back.

The console shows the same list; this is the operator's way without a browser (and the way a
script can poll for new ones: `--json`). Works against the local stack or AWS alike, through the
configured table.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from pitstop.config import Settings
from pitstop.dal import Crm, NotFound
from pitstop.models import Message, MessageStatus
from pitstop.phone import mask_phone


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "messages",
        help="list the messages callers left, and mark them handled",
        description="Messages taken for the shop (by the agent's take_message tool or a "
        "recorded message), oldest first.",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="show messages (default: the new ones)")
    listing.add_argument(
        "--status", choices=[s.value for s in MessageStatus] + ["all"], default="new"
    )
    listing.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    listing.set_defaults(func=_list)
    handle = sub.add_parser("handle", help="mark a message handled (the caller was called back)")
    handle.add_argument("message_id")
    handle.add_argument("--by", default="operator", help="who called back (default: operator)")
    handle.set_defaults(func=_handle)


def _emit(text: str) -> None:
    print(text)  # noqa: T201 - a command line prints to its user (ruff exempts only */cli.py)


def _crm() -> Crm:
    return Crm(Settings())


def describe(message: Message) -> str:
    """One line per message; the callback number masked, as everywhere in logs and output."""
    who = message.caller_name or "unknown caller"
    parts = [
        f"{message.message_id}  {message.created_at:%Y-%m-%d %H:%M}  [{message.urgency.value}]",
        f"{who} {mask_phone(message.callback_number)}",
        message.about,
    ]
    if message.vehicle:
        parts.append(f"vehicle: {message.vehicle}")
    if message.callback_when:
        parts.append(f"call back: {message.callback_when}")
    if message.status is MessageStatus.HANDLED:
        parts.append(f"handled by {message.handled_by}")
    return " | ".join(parts)


def _list(args: argparse.Namespace) -> int:
    status = None if args.status == "all" else MessageStatus(args.status)
    messages = _crm().messages.list(status)
    if args.json:
        _emit(json.dumps([m.model_dump(mode="json") for m in messages], indent=2))
        return 0
    for message in messages:
        _emit(describe(message))
    if not messages:
        _emit(f"no {args.status} messages")
    return 0


def _handle(args: argparse.Namespace) -> int:
    try:
        message = _crm().messages.handle(args.message_id, args.by, datetime.now(UTC))
    except NotFound:
        _emit(f"no message {args.message_id}")
        return 1
    _emit(describe(message))
    return 0
