"""Who a marketing draft would reach on its channel, and why the others would be skipped.

Each contact of the audience falls under the first reason that applies, in this order:
ARCHIVED, DO_NOT_CONTACT, then for EMAIL and SMS NO_EMAIL / NO_PHONE, WITHDRAWN,
IMPLIED_EXPIRED (implied consent past its expiry), NO_CONSENT (never asked); for INTERNAL
NOT_A_USER. The rest is reached, exactly as the contacts filter `marketingAllowed` says.

Counted in SQL: one COUNT per reason plus one for the rest, whatever the audience's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tortoise.expressions import Q

from models.contacts import ConsentStatus
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
    else:
        address, missing, prefix = "phone", SkipReason.NO_PHONE, "sms_consent"
    return [
        *reasons,
        (missing, Q(Q(**{f"{address}__isnull": True}), Q(**{address: ""}), join_type="OR")),
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


async def report(actor: Actor, draft: MessageDraft) -> AudienceReport:
    remaining = await records(actor, audience_from_json(draft.audience))
    skips = []
    for reason, condition in _reasons(MessageChannel(draft.channel)):
        skipped = await remaining.filter(condition).count()
        if skipped:
            skips.append(SkipCount(reason, skipped))
        remaining = remaining.filter(~condition)
    return AudienceReport(reaches=await remaining.count(), skips=skips)
