"""Merging several duplicate contacts into one: everything moves onto the survivor (groups,
affiliations, custom-field answers, consent, blank fields), then the others are deleted.
The audit event keeps a full snapshot of each merged contact, its groups, affiliations,
consent records and custom-field answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carnet.i18n import N_
from models.affiliations import Affiliation
from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact
from models.custom_fields import CustomFieldAnswer
from models.groups import GroupMember
from resolvers.accounts.merging import move_account_links
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.contacts import consent, links
from resolvers.contacts.records import display_name, jsonable, refresh_derived
from resolvers.duplicates.suggestions import refresh_suggestions

MAX_MERGED = 20
FILLED_FIELDS = ("first_name", "last_name", "organization_name", "email", "phone", "birth_date")
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "region", "postal_code", "country")


def _check_count(other_ids: Sequence[int | None]) -> None:
    path = ("input", "other_ids")
    if not other_ids:
        raise UserErrors.single(
            UserErrorCode.REQUIRED, path, N_("Choose at least one contact to merge.")
        )
    if len(other_ids) > MAX_MERGED:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            path,
            N_("At most {max} contacts can be merged at a time."),
            max=MAX_MERGED,
        )


async def _locked_contacts(
    actor: Actor, survivor_id: int | None, other_ids: Sequence[int | None]
) -> tuple[Contact, list[Contact]]:
    """The survivor and the others (in the given order), all locked at once in id order,
    so two merges of the same contacts queue rather than deadlock; every bad id is reported."""
    wanted = {pk for pk in (survivor_id, *other_ids) if pk is not None}
    found = {
        c.id: c
        for c in await Contact.filter(organization_id=actor.organization_id, id__in=wanted)
        .order_by("id")
        .select_for_update()
    }
    survivor = found.pop(survivor_id, None) if survivor_id is not None else None
    if survivor is None:
        raise NotFound(("input", "survivor_id"))
    errors = ErrorCollector()
    path = ("input", "other_ids")
    users = {survivor.user_id} - {None}
    for index, pk in enumerate(other_ids):
        other = found.get(pk) if pk is not None else None
        if pk is not None and pk == survivor.id:
            errors.add(
                UserErrorCode.INVALID, (*path, index), N_("A contact cannot be merged into itself.")
            )
        elif other is None:
            errors.add(UserErrorCode.NOT_FOUND, (*path, index), N_("Not found."))
        elif other.kind is not survivor.kind:
            errors.add(
                UserErrorCode.INVALID,
                (*path, index),
                N_("A person cannot be merged with an organization contact."),
            )
        elif other.user_id is not None and users - {other.user_id}:
            errors.add(
                UserErrorCode.INVALID,
                (*path, index),
                N_("These contacts are linked to different users: unlink one first."),
            )
        elif other.user_id is not None:
            users.add(other.user_id)
    errors.raise_if_any()
    return survivor, [found[pk] for pk in dict.fromkeys(other_ids)]  # type: ignore[index]


def _snapshot(contact: Contact) -> dict[str, Any]:
    values = {name: getattr(contact, name) for name in contact._meta.db_fields}
    return jsonable(values)


async def _related_snapshots(contact_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each contact's groups, affiliations (both sides) and consent records, for the log."""
    related: dict[int, dict[str, Any]] = {
        pk: {"group_ids": [], "affiliations": [], "consent_record_ids": [], "custom_fields": {}}
        for pk in contact_ids
    }
    for member in await GroupMember.filter(contact_id__in=contact_ids).order_by("id"):
        related[member.contact_id]["group_ids"].append(member.group_id)
    affiliations = await Affiliation.filter(person_id__in=contact_ids).order_by("id")
    affiliations += await Affiliation.filter(organization_contact_id__in=contact_ids).order_by("id")
    for row in affiliations:
        snapshot = {
            "id": row.id,
            "person_id": row.person_id,
            "organization_contact_id": row.organization_contact_id,
            "role_title": row.role_title,
        }
        for pk in {row.person_id, row.organization_contact_id} & set(contact_ids):
            related[pk]["affiliations"].append(snapshot)
    for record in await ConsentRecord.filter(contact_id__in=contact_ids).order_by("id"):
        related[record.contact_id]["consent_record_ids"].append(record.id)
    for answer in await CustomFieldAnswer.filter(contact_id__in=contact_ids).order_by("id"):
        related[answer.contact_id]["custom_fields"][str(answer.field_id)] = answer.value
    return related


async def _move_group_memberships(survivor: Contact, other_ids: list[int]) -> None:
    taken = set(await GroupMember.filter(contact_id=survivor.id).values_list("group_id", flat=True))
    moved = []
    for member in await GroupMember.filter(contact_id__in=other_ids).order_by("id"):
        if member.group_id not in taken:
            taken.add(member.group_id)
            moved.append(member.id)
    # The memberships left behind duplicate the survivor's; deleting the others drops them.
    if moved:
        await GroupMember.filter(id__in=moved).update(contact_id=survivor.id)


async def _move_custom_field_answers(survivor: Contact, other_ids: list[int]) -> None:
    """Answers to questions the survivor left unanswered move over, from the first of the
    others (in the order given) that answered; the survivor's own answers win."""
    answered = set(
        await CustomFieldAnswer.filter(contact_id=survivor.id).values_list("field_id", flat=True)
    )
    order = {pk: index for index, pk in enumerate(other_ids)}
    candidates = await CustomFieldAnswer.filter(contact_id__in=other_ids)
    moved = []
    for answer in sorted(candidates, key=lambda a: (order[a.contact_id], a.id)):
        if answer.field_id not in answered:
            answered.add(answer.field_id)
            moved.append(answer.id)
    if moved:
        await CustomFieldAnswer.filter(id__in=moved).update(contact_id=survivor.id)


async def _move_affiliations(survivor: Contact, other_ids: list[int]) -> None:
    merged = set(other_ids)

    def onto_survivor(pk: int) -> int:
        return survivor.id if pk in merged else pk

    rows = await Affiliation.filter(person_id=survivor.id)
    rows += await Affiliation.filter(organization_contact_id=survivor.id)
    taken = {(row.person_id, row.organization_contact_id) for row in rows}
    moving = await Affiliation.filter(person_id__in=other_ids).order_by("id")
    moving += await Affiliation.filter(organization_contact_id__in=other_ids).order_by("id")
    for row in sorted({row.id: row for row in moving}.values(), key=lambda row: row.id):
        pair = (onto_survivor(row.person_id), onto_survivor(row.organization_contact_id))
        if pair in taken or pair[0] == pair[1]:
            continue  # a duplicate of one the survivor has: it goes with its contact
        taken.add(pair)
        await Affiliation.filter(id=row.id).update(
            person_id=pair[0], organization_contact_id=pair[1]
        )


async def _merge_consent(actor: Actor, survivor: Contact, others: list[Contact]) -> None:
    """The history moves whole. The current status per channel: a withdrawal on any side
    wins; else the most recently recorded express or unexpired implied consent; else the
    survivor's. A status that changes gets its own record, so the history explains it."""
    everyone = [survivor, *others]
    latest: dict[tuple[int, ConsentChannel, ConsentStatus], Any] = {}
    for record in await ConsentRecord.filter(contact_id__in=[c.id for c in everyone]):
        key = (record.contact_id, record.channel, record.status)
        latest[key] = max(latest.get(key, record.recorded_at), record.recorded_at)
    await ConsentRecord.filter(contact_id__in=[c.id for c in others]).update(contact_id=survivor.id)
    for channel in ConsentChannel:
        chosen = _chosen_consent(everyone, channel, latest)
        if chosen is survivor:
            continue
        status, expires_at = consent.recorded(chosen, channel)
        if (status, expires_at) == consent.recorded(survivor, channel):
            continue
        column = f"{channel.value.lower()}_consent"
        setattr(survivor, column, status)
        setattr(survivor, f"{column}_expires_at", expires_at)
        await ConsentRecord.create(
            contact_id=survivor.id,
            channel=channel,
            status=status,
            source="contact merge",
            proof=f"Merged from {display_name(chosen)} (#{chosen.id})",
            expires_at=expires_at,
            recorded_by=actor.user,
        )


def _chosen_consent(everyone: list[Contact], channel: ConsentChannel, latest) -> Contact:
    for contact in everyone:
        if consent.recorded(contact, channel)[0] is ConsentStatus.WITHDRAWN:
            return contact
    at = now()
    marketable = [c for c in everyone if consent.current(c, channel, at) in consent.MARKETABLE]
    if not marketable:
        return everyone[0]

    def recorded_at(contact: Contact):
        status = consent.recorded(contact, channel)[0]
        return latest.get((contact.id, channel, status), contact.updated_at), -contact.id

    return max(marketable, key=recorded_at)


def _merge_fields(survivor: Contact, others: list[Contact]) -> None:
    """Empty fields are filled from the others, in the order given; the address as a whole."""
    for name in FILLED_FIELDS:
        if not getattr(survivor, name):
            filled = next((getattr(o, name) for o in others if getattr(o, name)), None)
            if filled:
                setattr(survivor, name, filled)
    if not any(getattr(survivor, name) for name in ADDRESS_FIELDS):
        donor = next((o for o in others if any(getattr(o, n) for n in ADDRESS_FIELDS)), None)
        for name in ADDRESS_FIELDS:
            setattr(survivor, name, getattr(donor, name) if donor else getattr(survivor, name))
    if survivor.colour_id is None:
        survivor.colour_id = next((o.colour_id for o in others if o.colour_id), None)
    if survivor.user_id is None:
        survivor.user_id = next((o.user_id for o in others if o.user_id), None)
    activity = [c.last_activity_at for c in (survivor, *others) if c.last_activity_at]
    survivor.last_activity_at = max(activity) if activity else None
    survivor.do_not_contact = any(c.do_not_contact for c in (survivor, *others))
    notes = [survivor.notes] if survivor.notes else []
    for other in others:
        if other.notes:
            notes.append(f"--- {display_name(other)} (#{other.id}) ---\n{other.notes}")
    survivor.notes = "\n\n".join(notes)


async def merge(actor: Actor, survivor_id: int | None, other_ids: Sequence[int | None]) -> Contact:
    """Merges the others into the survivor and deletes them, in one transaction."""
    _check_count(other_ids)
    async with unit_of_work():
        survivor, others = await _locked_contacts(actor, survivor_id, other_ids)
        other_ids_ = [o.id for o in others]
        related = await _related_snapshots([survivor.id, *other_ids_])
        before = {
            "survivor": {**_snapshot(survivor), **related[survivor.id]},
            "merged": [{**_snapshot(o), **related[o.id]} for o in others],
        }
        await _move_group_memberships(survivor, other_ids_)
        await _move_affiliations(survivor, other_ids_)
        await _move_custom_field_answers(survivor, other_ids_)
        await _merge_consent(actor, survivor, others)
        await move_account_links(survivor.id, other_ids_)
        _merge_fields(survivor, others)
        refresh_derived(survivor)
        await survivor.save()
        await Contact.filter(id__in=other_ids_).delete()
        await refresh_suggestions(actor.organization_id, [survivor.id])
        await audit.record(
            "contact.merge",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Contact", survivor.id),
            before=before,
            after={
                **_snapshot(survivor),
                **(await _related_snapshots([survivor.id]))[survivor.id],
                "merged_ids": other_ids_,
            },
        )
        await links.auto_link(survivor, actor.user, actor.meta)
    return survivor
