"""The record a call concerns, and the one way a global id becomes a record of it.

`authorize` decides, for the permission directive and for `node(id:)` alike, who the
caller is to a record: a staff role in its organization and/or relationships to it
(resolvers.common.relationships). Mutation bodies then resolve every id of their input
through `scoped_id` / `scoped_ids`: a record of the named type in the organization the
call was granted in, or NOT_FOUND on that id's own path; a malformed id is a payload
error on its path too. So no body can check one record and write another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from tortoise.models import Model

from carnet.i18n import N_
from models.organizations import Organization
from resolvers.common import relationships
from resolvers.common.actor import Principal
from resolvers.common.errors import (
    BadUserInput,
    ErrorCollector,
    FieldPath,
    Forbidden,
    NotFound,
    UserErrorCode,
)
from resolvers.common.permissions import CALLER_RELATIONSHIPS, Permission, Relationship
from schema import ids
from schema.context import NODE_MODELS, NODE_ORGANIZATION_PATHS, Context


class MalformedId(BadUserInput):
    """An id that is no global id at all: top-level BAD_USER_INPUT in a query; in a
    mutation, NOT_FOUND in the payload on its own path (it names nothing, like an unknown
    id, which keeps every bad id of a list reportable at its index)."""

    def __init__(self, field: FieldPath, global_id: str):
        super().__init__(N_("Malformed ID: {id}."), id=global_id[:100])
        self.field = tuple(field)


def decode_at(global_id: str, field: FieldPath) -> tuple[str, int]:
    try:
        return ids.decode(global_id)
    except BadUserInput:
        raise MalformedId(field, global_id) from None


@dataclass(frozen=True)
class RecordRef:
    """A record a call concerns: named by an id argument, or the parent object itself."""

    type_name: str
    pk: int
    field: tuple = ()  # where its id was given, for NOT_FOUND
    record: Any = None  # the instance, when the caller already has it

    @classmethod
    def of(cls, record: Model) -> RecordRef:
        type_name = next((n for n, m in NODE_MODELS.items() if isinstance(record, m)), "")
        return cls(type_name, record.pk, (), record)


async def _organization_of(context: Context, ref: RecordRef) -> int | None:
    if isinstance(ref.record, Organization):
        return ref.record.id
    if ref.record is not None and hasattr(ref.record, "organization_id"):
        return ref.record.organization_id
    return await context.organization_of_record(ref.type_name, ref.pk)


async def principal_for(
    context: Context, ref: RecordRef, relationship: Relationship | None
) -> Principal:
    """Who the signed-in caller is to that record: their staff role in its organization,
    and whether they hold `relationship` to it."""
    organization_id = await _organization_of(context, ref)
    staff = await context.actor_for(organization_id) if organization_id else None
    held: frozenset[Relationship] = frozenset()
    model = NODE_MODELS.get(ref.type_name)
    if (
        relationship is not None
        and relationship not in CALLER_RELATIONSHIPS
        and model is not None
        and relationships.checkable(relationship, model)
    ):
        record = ref.record if ref.record is not None else await model.get_or_none(pk=ref.pk)
        if record is not None and await relationships.holds(context.user, relationship, record):
            held = frozenset({relationship})
    return Principal(context.user, context.meta, organization_id, staff, held)


async def authorize(
    context: Context,
    ref: RecordRef,
    permission: Permission | None,
    relationship: Relationship | None,
) -> Principal:
    """The caller's principal for the record if the staff role has `permission` or they
    hold `relationship`; NOT_FOUND when they are nothing to it (a foreign id looks like a
    missing one), FORBIDDEN when their role falls short."""
    principal = await principal_for(context, ref, relationship)
    if relationship is not None and principal.holds(relationship):
        return principal
    if permission is not None and principal.can(permission):
        return principal
    if principal.staff is None:
        raise NotFound(ref.field)
    raise Forbidden()


def _tenant_path(type_name: str) -> str | None:
    """The filter reaching a record's organization id; None for a record of no tenant."""
    model = NODE_MODELS[type_name]
    if model is Organization:
        return "id"
    if type_name in NODE_ORGANIZATION_PATHS:
        return NODE_ORGANIZATION_PATHS[type_name]
    return "organization_id" if "organization_id" in model._meta.fields_db_projection else None


async def _found(info: strawberry.Info, type_name: str, pks: set[int]) -> set[int]:
    """Those of `pks` naming a record the call may touch: in the organization the call was
    granted in or, for a record of no tenant (a User), existing."""
    model, path = NODE_MODELS[type_name], _tenant_path(type_name)
    rows = model.filter(id__in=pks)
    if path is not None:
        organization_id = info.context.principal(info).organization_id
        if organization_id is None:
            return set()
        rows = rows.filter(**{path: organization_id})
    return set(await rows.values_list("id", flat=True))


async def scoped_id(info: strawberry.Info, global_id: str, type_name: str, field: FieldPath) -> int:
    """The pk of the `type_name` record `global_id` names, in the call's organization;
    else NOT_FOUND on `field` (another type, another organization, or no such record)."""
    decoded_type, pk = decode_at(global_id, field)
    if decoded_type != type_name:
        raise NotFound(field)
    if _tenant_path(type_name) is None:
        found = bool(await _found(info, type_name, {pk}))
    else:  # cached per request: the guard already looked up the scope's record
        organization_id = await info.context.organization_of_record(type_name, pk)
        found = organization_id is not None and (
            organization_id == info.context.principal(info).organization_id
        )
    if not found:
        raise NotFound(field)
    return pk


async def scoped_id_or_none(
    info: strawberry.Info, global_id: str | None, type_name: str, field: FieldPath
) -> int | None:
    return None if global_id is None else await scoped_id(info, global_id, type_name, field)


async def scoped_ids(
    info: strawberry.Info,
    global_ids: Sequence[str],
    type_name: str,
    field: FieldPath,
    then: FieldPath = (),
) -> list[int]:
    """`scoped_id` for a list, in one query: every id that fails (malformed ones too) is
    NOT_FOUND at its own index (["input", "contactIds", 3]), all together; duplicates are
    kept. `then` continues the path after the index, for ids inside a list of inputs:
    ("input", "answers") and ("fieldId",) give ["input", "answers", 3, "fieldId"]."""
    pks = await scoped_ids_or_none(info, global_ids, type_name)
    errors = ErrorCollector()
    for index, pk in enumerate(pks):
        if pk is None:
            errors.add(UserErrorCode.NOT_FOUND, (*field, index, *then), N_("Not found."))
    errors.raise_if_any()
    return [pk for pk in pks if pk is not None]


async def scoped_ids_or_none(
    info: strawberry.Info, global_ids: Sequence[str], type_name: str
) -> list[int | None]:
    """The pks of those ids naming a `type_name` record in the call's organization, None
    for the others: for a resolver that reports them at their index together with its own
    checks of the list (contactMerge). No foreign pk ever reaches it."""
    pks = [ids.pk_or_none(global_id, type_name) for global_id in global_ids]
    wanted = {pk for pk in pks if pk is not None}
    found = await _found(info, type_name, wanted) if wanted else set()
    return [pk if pk in found else None for pk in pks]

