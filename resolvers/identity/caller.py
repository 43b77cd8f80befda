"""Who is calling: the live session an access token belongs to, its user and, when the
request concerns an organization, the user's active membership there — in one statement.

Every request looks this up again (nothing survives it: a revoked session, a disabled user
or an ended membership is refused by the very next request). Tortoise cannot left-join a
model it has no relation to, so the statement is written here, and each row's columns go
through Tortoise's own `_init_from_db`, as a query's rows do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from tortoise import connections
from tortoise.models import Model

from carnet.auth import token_digest
from models.identity import Session, User
from models.organizations import Organization
from models.staff import MembershipStatus, StaffMembership
from resolvers.common.time import now

# Writing last_used_at on every request would make each read a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    session: Session  # with its user
    # The user's ACTIVE membership in the organization asked about (with that organization),
    # None if asked about none or not staff there; a scheduled deactivation is left to
    # resolvers.organizations.access.active_actor.
    membership: StaffMembership | None = None


@cache
def _columns(model: type[Model]) -> tuple[str, ...]:
    return tuple(model._meta.fields_db_projection.values())


def _select(alias: str, model: type[Model]) -> str:
    return ", ".join(f'{alias}."{column}"' for column in _columns(model))


@cache
def _statement(dialect: str, with_membership: bool) -> str:
    slots = iter(f"${n}" for n in range(1, 10)) if dialect == "postgres" else iter("?" * 9)
    s = (Session, User) + ((StaffMembership, Organization) if with_membership else ())
    selected = ", ".join(_select(alias, model) for alias, model in zip("sumo", s, strict=False))
    sql = f'SELECT {selected} FROM "session" s JOIN "user" u ON u."id" = s."user_id"'
    if with_membership:
        sql += (
            f' LEFT JOIN "staff_membership" m ON m."user_id" = s."user_id"'
            f' AND m."organization_id" = {next(slots)} AND m."status" = {next(slots)}'
            ' LEFT JOIN "organization" o ON o."id" = m."organization_id"'
        )
    return sql + (
        f' WHERE s."access_token_hash" = {next(slots)} AND s."revoked_at" IS NULL'
        f' AND s."access_expires_at" > {next(slots)} AND u."is_active" = {next(slots)} LIMIT 1'
    )


def _instance(model: type[Model], row: Any, start: int) -> tuple[Model | None, int]:
    columns = _columns(model)
    end = start + len(columns)
    values = [row[i] for i in range(start, end)]
    if values[0] is None:  # no id: the left join found nothing
        return None, end
    return model._init_from_db(**dict(zip(columns, values, strict=True))), end


async def look_up(access_token: str, organization_id: int | None = None) -> Caller | None:
    """The caller an access token signs in, as of now, or None; with `organization_id`,
    also their active membership there, in the same statement."""
    connection = connections.get("default")
    with_membership = organization_id is not None
    sql = _statement(connection.capabilities.dialect, with_membership)
    moment = now()
    values: list[Any] = [token_digest(access_token), moment, True]
    if with_membership:
        values[:0] = [organization_id, MembershipStatus.ACTIVE.value]
    _, rows = await connection.execute_query(sql, values)
    if not rows:
        return None
    row = rows[0]
    session, at = _instance(Session, row, 0)
    user, at = _instance(User, row, at)
    object.__setattr__(session, "_user", user)  # as select_related sets it
    membership = None
    if with_membership:
        membership, at = _instance(StaffMembership, row, at)
        organization, at = _instance(Organization, row, at)
        if membership is not None:
            object.__setattr__(membership, "_user", user)
            object.__setattr__(membership, "_organization", organization)
    if moment - session.last_used_at > LAST_USED_RESOLUTION:
        session.last_used_at = moment
        await Session.filter(id=session.id).update(last_used_at=moment)
    return Caller(session, membership)
