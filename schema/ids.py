"""Relay global IDs: base64("TypeName:pk"), decoded strictly (malformed → BAD_USER_INPUT).

A well-formed id whose number no primary key can hold decodes to `NO_ROW`, so it is
NOT_FOUND like any unknown id instead of overflowing the column in SQL.
"""

from __future__ import annotations

import base64
import binascii

from carnet.i18n import N_
from resolvers.common.errors import BadUserInput

# Every primary key is a BigIntField (int8 on PostgreSQL, SQLite's 64-bit integer) counting
# from 1, so no row has 0 and none lies beyond 2**63 - 1; tests/test_ids.py checks both.
PK_RANGE = range(1, 2**63)
NO_ROW = 0


def encode(type_name: str, pk: int | str) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def decode(global_id: str) -> tuple[str, int]:
    try:
        raw = base64.b64decode(global_id.encode(), validate=True).decode()
        type_name, _, pk = raw.partition(":")
        if not type_name or not pk.isdigit():
            raise ValueError(raw)
        number = int(pk)
        return type_name, number if number in PK_RANGE else NO_ROW
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
