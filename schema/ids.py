"""Relay global IDs: base64("TypeName:pk"), decoded strictly (malformed → BAD_USER_INPUT)."""

from __future__ import annotations

import base64
import binascii

from carnet.i18n import N_
from resolvers.common.errors import BadUserInput


def encode(type_name: str, pk: int | str) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def decode(global_id: str) -> tuple[str, int]:
    try:
        raw = base64.b64decode(global_id.encode(), validate=True).decode()
        type_name, _, pk = raw.partition(":")
        if not type_name or not pk.isdigit():
            raise ValueError(raw)
        return type_name, int(pk)
    except (ValueError, binascii.Error, UnicodeError):
        raise BadUserInput(N_("Malformed ID: {id}."), id=global_id[:100]) from None


def decode_as(global_id: str, type_name: str) -> int | None:
    """The pk if the id is well formed and names `type_name`; None if it names another type."""
    decoded_type, pk = decode(global_id)
    return pk if decoded_type == type_name else None


def pk_or_none(global_id: str | None, type_name: str) -> int | None:
    """The pk for a resolver to look up in the caller's organization; None (which it
    answers NOT_FOUND) for a missing or malformed id, or one naming another type — so one
    bad id in a list is reported at its index rather than refusing the whole request."""
    if global_id is None:
        return None
    try:
        return decode_as(global_id, type_name)
    except BadUserInput:
        return None
