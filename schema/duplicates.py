"""Duplicate contacts: the suggested pairs (`contactDuplicates`) and `contactMerge`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.common.permissions import Permission
from resolvers.duplicates import merge, suggestions
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_ids_or_none
from schema.types import Connection

if TYPE_CHECKING:
    from schema.contacts import ContactType

ContactRef = Annotated["ContactType", strawberry.lazy("schema.contacts")]

DuplicateReasonEnum = strawberry.enum(
    suggestions.DuplicateReason,
    name="ContactDuplicateReason",
    description="Why two contacts look like the same one.",
)


@strawberry.type(description="Two contacts that may be the same person or organization.")
class ContactDuplicate:
    first: ContactRef = strawberry.field(description="The older of the two.")
    second: ContactRef
    reasons: list[DuplicateReasonEnum]
    dismissed_at: datetime | None = strawberry.field(
        description="When staff marked the pair as not duplicates; null while suggested."
    )

    @classmethod
    def of(cls, pair: suggestions.DuplicatePair) -> ContactDuplicate:
        return cls(
            first=pair.first,
            second=pair.second,
            reasons=pair.reasons,
            dismissed_at=pair.suggestion.dismissed_at,
        )


@strawberry.input
class ContactMergeInput:
    survivor_id: strawberry.ID = strawberry.field(description="The contact that remains.")
    other_ids: list[strawberry.ID] = strawberry.field(
        description=f"The contacts merged into it, then deleted; at most {merge.MAX_MERGED}."
        " Their empty fields fill the survivor's in this order."
    )


@strawberry.type
class ContactMergePayload(Payload):
    contact: ContactRef | None = None


@strawberry.input
class ContactDuplicateDismissInput:
    first_id: strawberry.ID = strawberry.field(description="One contact of the pair.")
    second_id: strawberry.ID = strawberry.field(description="The other, in either order.")
    dismissed: bool = strawberry.field(
        default=True, description="False brings a dismissed pair back into the suggestions."
    )


@strawberry.type
class ContactDuplicateDismissPayload(Payload):
    duplicate: ContactDuplicate | None = None


@strawberry.type
class ContactDuplicatesQuery:
    @strawberry.field(
        **describe(
            "Likely duplicates among the contacts not archived: the same email, the same "
            "phone, or the same birth date with nearly the same name (ignoring accents, case "
            "and hyphens). Pairs of the same kind only, oldest pair first. Kept current as "
            "contacts change; `dismissed: true` lists the pairs marked as not duplicates.",
            requires(Permission.CONTACTS_READ),
        )
    )
    async def contact_duplicates(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        dismissed: bool = False,
    ) -> Connection[ContactDuplicate]:
        page = await suggestions.duplicates(
            info.context.actor(info), first=first, after=after, dismissed=dismissed
        )
        page.items = [ContactDuplicate.of(pair) for pair in page.items]
        return Connection.of(page)


@strawberry.type
class ContactDuplicatesMutation:
    @strawberry.mutation(
        **describe(
            "Merges contacts into one: groups, affiliations, consent history, notes, the user "
            "link and empty fields move to the survivor (a consent withdrawal on any side "
            "wins), then the others are deleted. The audit log keeps a snapshot of each.",
            requires(Permission.CONTACTS_WRITE, scope="input.survivorId"),
        )
    )
    async def contact_merge(
        self, info: strawberry.Info, input: ContactMergeInput
    ) -> ContactMergePayload:
        survivor_id = await scoped_id(info, input.survivor_id, "Contact", ("input", "survivorId"))
        # The merge reports the others' problems together, NOT_FOUND among them (None).
        other_ids = await scoped_ids_or_none(info, input.other_ids, "Contact")
        contact = await merge.merge(info.context.actor(info), survivor_id, other_ids)
        return ContactMergePayload(contact=contact)

    @strawberry.mutation(
        **describe(
            "Marks a suggested pair as not duplicates, so it leaves `contactDuplicates` (it "
            "stays listed with `dismissed: true`), or brings it back with `dismissed: false`.",
            requires(Permission.CONTACTS_WRITE, scope="input.firstId"),
        )
    )
    async def contact_duplicate_dismiss(
        self, info: strawberry.Info, input: ContactDuplicateDismissInput
    ) -> ContactDuplicateDismissPayload:
        first_id = await scoped_id(info, input.first_id, "Contact", ("input", "firstId"))
        second_id = await scoped_id(info, input.second_id, "Contact", ("input", "secondId"))
        pair = await suggestions.dismiss(
            info.context.actor(info), first_id, second_id, input.dismissed
        )
        return ContactDuplicateDismissPayload(duplicate=ContactDuplicate.of(pair))
