"""Who a marketing draft would reach on its channel, and why the others would be skipped.

Each contact of the audience falls under the first reason that applies, in this order:
ARCHIVED, DO_NOT_CONTACT, then for EMAIL NO_EMAIL, UNDELIVERABLE (a hard bounce), for SMS
NO_PHONE, INVALID_PHONE (not E.164), then WITHDRAWN,
IMPLIED_EXPIRED (implied consent past its expiry), NO_CONSENT (never asked); for INTERNAL
NOT_A_USER. The rest is reached, exactly as the contacts filter `marketingAllowed` says.

A member of a client account without an email address (NO_EMAIL) is reached by EMAIL
through the account's primary contact when the primary would be reached (their address,
their consent): one delivery per member, addressed to the primary, so a primary with two
such children gets one email about each. Otherwise the member stays NO_EMAIL.

Counted in SQL: one COUNT per reason plus one for the rest, whatever the audience's size.
A send classifies each chunk's contacts with the same conditions, as one CASE in the query
that reads them (`reason_case`, also behind `classify`), so the report and the deliveries
agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from tortoise.expressions import Case, Q, Subquery, When

from models.accounts import AccountContact, AccountContactKind
from models.contacts import ConsentStatus, Contact
from models.message_sends import UndeliverableAddress
from models.messaging import MessageChannel, MessageDraft
from resolvers.bulk.contact_targets import records
from resolvers.common.actor import Actor
from resolvers.common.time import now
from resolvers.messaging.drafts import audience_from_json


class SkipReason(StrEnum):
    ARCHIVED = "ARCHIVED"
    DO_NOT_CONTACT = "DO_NOT_CONTACT"
    NO_EMAIL = "NO_EMAIL"
    NO_PHONE = "NO_PHONE"
    WITHDRAWN = "WITHDRAWN"
    IMPLIED_EXPIRED = "IMPLIED_EXPIRED"
    NO_CONSENT = "NO_CONSENT"
    NOT_A_USER = "NOT_A_USER"
    INVALID_PHONE = "INVALID_PHONE"
    UNDELIVERABLE = "UNDELIVERABLE"


@dataclass(frozen=True)
class SkipCount:
    reason: SkipReason
    count: int


@dataclass(frozen=True)
class AudienceReport:
    reaches: int
    skips: list[SkipCount]


def _reasons(channel: MessageChannel) -> list[tuple[SkipReason, Q]]:
    """Each reason's condition; a contact counts under the first that holds. Conditions
    never compare NULL, so that their negation keeps every other row."""
    reasons = [
        (SkipReason.ARCHIVED, Q(archived_at__isnull=False)),
        (SkipReason.DO_NOT_CONTACT, Q(do_not_contact=True)),
    ]
    if channel is MessageChannel.INTERNAL:
        return [*reasons, (SkipReason.NOT_A_USER, Q(user_id__isnull=True))]
    if channel is MessageChannel.EMAIL:
        address, missing, prefix = "email", SkipReason.NO_EMAIL, "email_consent"
        # The address is not NULL here (NO_EMAIL came first).
        unusable = (
            SkipReason.UNDELIVERABLE,
            Q(email__in=Subquery(UndeliverableAddress.all().values("address"))),
        )
    else:
        address, missing, prefix = "phone", SkipReason.NO_PHONE, "sms_consent"
        unusable = (SkipReason.INVALID_PHONE, ~Q(phone__startswith="+"))  # not E.164
    return [
        *reasons,
        (missing, Q(Q(**{f"{address}__isnull": True}), Q(**{address: ""}), join_type="OR")),
        unusable,
        (SkipReason.WITHDRAWN, Q(**{prefix: ConsentStatus.WITHDRAWN})),
        (
            SkipReason.IMPLIED_EXPIRED,
            Q(
                **{
                    prefix: ConsentStatus.IMPLIED,
                    f"{prefix}_expires_at__isnull": False,
                    f"{prefix}_expires_at__lte": now(),
                }
            ),
        ),
        (SkipReason.NO_CONSENT, Q(**{prefix: ConsentStatus.NOT_ASKED})),
    ]


async def primaries_for(organization_id: int, member_ids: Sequence[int]) -> dict[int, int]:
    """For these contacts without an email: the primary contact of a client account they
    are a MEMBER of, when an EMAIL would reach that primary (the first such account)."""
    if not member_ids:
        return {}
    links = await AccountContact.filter(
        contact_id__in=list(member_ids),
        kind=AccountContactKind.MEMBER,
        account__organization_id=organization_id,
    ).order_by("account_id").values_list("contact_id", "account__primary_contact_id")
    primaries = {primary for _, primary in links}
    if not primaries:
        return {}
    unreachable = await classify(
        MessageChannel.EMAIL, organization_id, list(primaries), via_primary=False
    )
    found: dict[int, int] = {}
    for member, primary in links:
        if member not in found and primary not in unreachable and primary != member:
            found[member] = primary
    return found


async def report(actor: Actor, draft: MessageDraft) -> AudienceReport:
    remaining = await records(actor, audience_from_json(draft.audience))
    skips = []
    through_primary = 0
    for reason, condition in _reasons(MessageChannel(draft.channel)):
        if reason is SkipReason.NO_EMAIL:
            members = await remaining.filter(condition).values_list("id", flat=True)
            through_primary = len(await primaries_for(actor.organization_id, members))
            skipped = len(members) - through_primary
        else:
            skipped = await remaining.filter(condition).count()
        if skipped:
            skips.append(SkipCount(reason, skipped))
        remaining = remaining.filter(~condition)
    return AudienceReport(reaches=await remaining.count() + through_primary, skips=skips)


def reason_case(channel: MessageChannel) -> Case:
    """The first skip reason that holds for a contact (the report's conditions, in its
    order), as one SQL expression: "" when none does. A condition never compares NULL, so
    CASE takes the same reason as filtering out each condition in turn."""
    return Case(
        *(When(condition, then=reason.value) for reason, condition in _reasons(channel)),
        default="",
    )


async def classify(
    channel: MessageChannel,
    organization_id: int,
    contact_ids: Sequence[int],
    via_primary: bool = True,
) -> dict[int, SkipReason]:
    """The skip reason of each of these contacts that the message would not reach (the
    report's conditions, in its order); the others are absent. One query."""
    if not contact_ids:
        return {}
    found = (
        await Contact.filter(organization_id=organization_id, id__in=list(contact_ids))
        .annotate(skip=reason_case(channel))
        .values_list("id", "skip")
    )
    skipped = {pk: SkipReason(reason) for pk, reason in found if reason}
    if channel is MessageChannel.EMAIL and via_primary:
        return await without_reached_through_primary(organization_id, skipped)
    return skipped


async def without_reached_through_primary(
    organization_id: int, skipped: dict[int, SkipReason]
) -> dict[int, SkipReason]:
    """`skipped` less the NO_EMAIL members reached through their account's primary."""
    no_email = [pk for pk, reason in skipped.items() if reason is SkipReason.NO_EMAIL]
    for member in await primaries_for(organization_id, no_email):
        del skipped[member]
    return skipped
