"""Contact groups: the definitions (organization.manage) and who is in them (contacts.write).

A person or an organization contact can be in any number of groups. Archived contacts may
be added and removed like the others and keep their memberships (restoring a contact gives
its groups back), but they are left out of `members` and `memberCount`, as out of every list.
Group prices and booking quotas come with billing.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from carnet.i18n import N_
from models.contacts import Contact
from models.groups import Group, GroupMember
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, FieldPath, NotFound, UserErrorCode, UserErrors
from resolvers.common.locks import locked_row
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text
from resolvers.contacts.records import selected_contacts

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000
MAX_SEARCH_TERMS = 5


def clean_description(value: str | None, errors: ErrorCollector, field: FieldPath) -> str:
    return clean_text(value, errors, field, max_length=DESCRIPTION_MAX_LENGTH, multiline=True)


def snapshot(group: Group) -> dict[str, object]:
    return {"name": group.name, "description": group.description}


def _name_taken() -> UserErrors:
    return UserErrors.single(
        UserErrorCode.ALREADY_EXISTS,
        ("input", "name"),
        N_("A group with this name already exists."),
    )


async def _check_name_free(actor: Actor, name: str, keep_id: int | None = None) -> None:
    # Case-insensitively: "Juniors" and "juniors" side by side would only confuse.
    others = Group.filter(organization_id=actor.organization_id, name__iexact=name)
    if keep_id is not None:
        others = others.exclude(id=keep_id)
    if await others.exists():
        raise _name_taken()


async def _locked_group(actor: Actor, group_id: int | None, field: FieldPath) -> Group:
    return await locked_row(Group, actor, group_id, field)


async def create(actor: Actor, name: str, description: str | None) -> Group:
    errors = ErrorCollector()
    name = clean_text(name, errors, ("input", "name"), max_length=NAME_MAX_LENGTH, required=True)
    description = clean_description(description, errors, ("input", "description"))
    errors.raise_if_any()
    try:
        async with unit_of_work():
            await _check_name_free(actor, name)
            group = await Group.create(
                organization_id=actor.organization_id, name=name, description=description
            )
            await audit.record(
                "group.create",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Group", group.id),
                after=snapshot(group),
            )
    except IntegrityError:  # the same name created concurrently
        raise _name_taken() from None
    return group


async def update(
    actor: Actor, group_id: int | None, name: str | None, description: str | None
) -> Group:
    errors = ErrorCollector()
    if name is not None:
        name = clean_text(
            name, errors, ("input", "name"), max_length=NAME_MAX_LENGTH, required=True
        )
    if description is not None:
        description = clean_description(description, errors, ("input", "description"))
    errors.raise_if_any()
    try:
        async with unit_of_work():
            group = await _locked_group(actor, group_id, ("input", "id"))
            before = snapshot(group)
            if name is not None and name != group.name:
                await _check_name_free(actor, name, keep_id=group.id)
                group.name = name
            if description is not None:
                group.description = description
            changed_before, changed_after = audit.changes(before, snapshot(group))
            if not changed_after:
                return group
            await group.save(update_fields=["name", "description", "updated_at"])
            await audit.record(
                "group.update",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Group", group.id),
                before=changed_before,
                after=changed_after,
            )
    except IntegrityError:
        raise _name_taken() from None
    return group


async def delete(actor: Actor, group_id: int | None) -> int:
    """Deletes the group and its memberships; the contacts stay."""
    async with unit_of_work():
        group = await _locked_group(actor, group_id, ("input", "id"))
        members = await GroupMember.filter(group_id=group.id).count()
        await GroupMember.filter(group_id=group.id).delete()
        deleted_id = group.id
        await group.delete()
        await audit.record(
            "group.delete",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Group", deleted_id),
            before={**snapshot(group), "member_count": members},
        )
    return deleted_id


async def add_contacts(
    actor: Actor, group_id: int | None, contact_ids: Sequence[int | None]
) -> tuple[Group, int]:
    """Adds the contacts not yet in the group (the others are left as they are): the group
    and how many were added."""
    async with unit_of_work():
        # Locked: a concurrent add of the same contact waits instead of hitting the unique
        # pair, and a concurrent delete of the group cannot strand new memberships.
        group = await _locked_group(actor, group_id, ("input", "group_id"))
        wanted = await selected_contacts(
            actor, contact_ids, ("input", "contact_ids"), "contactsBulkGroupAdd"
        )
        if not wanted:
            return group, 0
        present = GroupMember.filter(group_id=group.id, contact_id__in=wanted)
        already = set(await present.values_list("contact_id", flat=True))
        added = [pk for pk in wanted if pk not in already]
        if added:
            await GroupMember.bulk_create(
                [GroupMember(group_id=group.id, contact_id=pk) for pk in added]
            )
            await audit.record(
                "group.add_contacts",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Group", group.id),
                after={"contact_ids": added},
            )
    return group, len(added)


async def remove_contacts(
    actor: Actor, group_id: int | None, contact_ids: Sequence[int | None]
) -> tuple[Group, int]:
    """Removes those of the contacts that are in the group: the group and how many left."""
    async with unit_of_work():
        group = await _locked_group(actor, group_id, ("input", "group_id"))
        wanted = await selected_contacts(
            actor, contact_ids, ("input", "contact_ids"), "contactsBulkGroupRemove"
        )
        if not wanted:
            return group, 0
        present = GroupMember.filter(group_id=group.id, contact_id__in=wanted)
        members = set(await present.values_list("contact_id", flat=True))
        removed = [pk for pk in wanted if pk in members]
        if removed:
            await GroupMember.filter(group_id=group.id, contact_id__in=removed).delete()
            await audit.record(
                "group.remove_contacts",
                actor=actor.user,
                meta=actor.meta,
                organization_id=actor.organization_id,
                target=("Group", group.id),
                before={"contact_ids": removed},
            )
    return group, len(removed)


async def group(actor: Actor, group_id: int | None) -> Group:
    found = None
    if group_id is not None:
        found = await Group.get_or_none(id=group_id, organization_id=actor.organization_id)
    if found is None:
        raise NotFound(("id",))
    return found


async def groups(actor: Actor, search: str | None, **page_args) -> Page:
    qs = Group.filter(organization_id=actor.organization_id)
    for term in (search or "").split()[:MAX_SEARCH_TERMS]:
        qs = qs.filter(name__icontains=term)
    return await paginate(qs, order=("name",), **page_args)


async def members(group: Group, include_archived: bool, **page_args) -> Page:
    """The group's contacts by name; archived ones only when asked."""
    qs = Contact.filter(organization_id=group.organization_id, group_memberships__group_id=group.id)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return await paginate(qs, order=("sort_name",), **page_args)


async def member_counts(group_ids: list[int]) -> list[int]:
    """DataLoader batch: how many contacts (not archived) each group has, in one query."""
    rows = (
        await GroupMember.filter(group_id__in=group_ids, contact__archived_at__isnull=True)
        .group_by("group_id")
        .annotate(count=Count("id"))
        .values("group_id", "count")
    )
    counts = {row["group_id"]: row["count"] for row in rows}
    return [counts.get(pk, 0) for pk in group_ids]
