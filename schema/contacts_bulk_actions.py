"""Contact batch actions run as bulk operations: `contactsBulkUpdate`, `contactsBulkArchive`,
`contactsBulkRestore`, and `bulkOperationUndo`. Each needs bulk.run and the permission of
what it changes (contacts.write; for undo, the undone action's, checked by the resolver);
each answers at once with the operation, which the worker then runs chunk by chunk."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from models.contacts import ConsentChannel
from models.identity import Locale
from resolvers.bulk import undo as bulk_undo
from resolvers.common.permissions import Permission
from resolvers.contacts import bulk_actions
from resolvers.contacts.bulk_update import Changes
from schema.bulk import BulkContactTargetInput, BulkOperationPayload, contact_target
from schema.contact_consent import ConsentChannelEnum
from schema.identity import LocaleEnum
from schema.permissions import describe, requires
from schema.scope import scoped_id


@strawberry.input(description="The answer every contact gets; a null value removes it.")
class BulkCustomFieldAnswerInput:
    field_id: strawberry.ID
    value: JSON | None = None


@strawberry.input(description="At least one change; those not given are left alone.")
class ContactsBulkChangesInput:
    locale: LocaleEnum | None = None
    custom_field_answer: BulkCustomFieldAnswerInput | None = None
    notes_append: str | None = strawberry.field(
        default=None, description="Added on a new line after each contact's notes."
    )
    withdraw_consent: ConsentChannelEnum | None = strawberry.field(
        default=None,
        description="Records a withdrawal of marketing consent on this channel, in each "
        "contact's consent history.",
    )


@strawberry.input
class ContactsBulkUpdateInput:
    organization_id: strawberry.ID
    target: BulkContactTargetInput
    changes: ContactsBulkChangesInput


@strawberry.input
class ContactsBulkArchiveInput:
    organization_id: strawberry.ID
    target: BulkContactTargetInput


@strawberry.input
class ContactsBulkRestoreInput:
    organization_id: strawberry.ID
    target: BulkContactTargetInput


@strawberry.input
class BulkOperationUndoInput:
    id: strawberry.ID


async def _changes(info: strawberry.Info, given: ContactsBulkChangesInput) -> Changes:
    answer = given.custom_field_answer
    field_id = None
    if answer is not None:
        path = ("input", "changes", "customFieldAnswer", "fieldId")
        field_id = await scoped_id(info, answer.field_id, "CustomField", path)
    return Changes(
        locale=Locale(given.locale) if given.locale else None,
        answer_field_id=field_id,
        answer_given=answer is not None,
        answer_value=answer.value if answer is not None else None,
        notes_append=given.notes_append,
        withdraw_consent=ConsentChannel(given.withdraw_consent) if given.withdraw_consent else None,
    )


@strawberry.type
class ContactsBulkActionsMutation:
    @strawberry.mutation(
        **describe(
            "Changes the locale, one custom-field answer, appends to the notes and/or "
            "withdraws consent on a channel, for every contact of the target, as a bulk "
            "operation.",
            requires(
                Permission.BULK_RUN, scope="input.organizationId", also=Permission.CONTACTS_WRITE
            ),
        )
    )
    async def contacts_bulk_update(
        self, info: strawberry.Info, input: ContactsBulkUpdateInput
    ) -> BulkOperationPayload:
        actor = info.context.actor(info)
        target = await contact_target(info, input.target)
        changes = await _changes(info, input.changes)
        operation = await bulk_actions.start_update(actor, target, changes)
        return BulkOperationPayload(operation=operation)

    @strawberry.mutation(
        **describe(
            "Archives every contact of the target, as a bulk operation; those already "
            "archived are skipped.",
            requires(
                Permission.BULK_RUN, scope="input.organizationId", also=Permission.CONTACTS_WRITE
            ),
        )
    )
    async def contacts_bulk_archive(
        self, info: strawberry.Info, input: ContactsBulkArchiveInput
    ) -> BulkOperationPayload:
        target = await contact_target(info, input.target)
        operation = await bulk_actions.start_archive(info.context.actor(info), target, True)
        return BulkOperationPayload(operation=operation)

    @strawberry.mutation(
        **describe(
            "Brings back every archived contact of the target, as a bulk operation; those "
            "not archived are skipped.",
            requires(
                Permission.BULK_RUN, scope="input.organizationId", also=Permission.CONTACTS_WRITE
            ),
        )
    )
    async def contacts_bulk_restore(
        self, info: strawberry.Info, input: ContactsBulkRestoreInput
    ) -> BulkOperationPayload:
        target = await contact_target(info, input.target)
        operation = await bulk_actions.start_archive(info.context.actor(info), target, False)
        return BulkOperationPayload(operation=operation)

    @strawberry.mutation(
        **describe(
            "Starts a new operation (kind UNDO) putting back the values an update, group, "
            "colour or archive operation changed; records changed since are skipped with "
            "CHANGED_SINCE. Also requires the permission of the operation undone.",
            requires(Permission.BULK_RUN, scope="input.id"),
        )
    )
    async def bulk_operation_undo(
        self, info: strawberry.Info, input: BulkOperationUndoInput
    ) -> BulkOperationPayload:
        pk = await scoped_id(info, input.id, "BulkOperation", ("input", "id"))
        operation = await bulk_undo.start_undo(info.context.actor(info), pk)
        return BulkOperationPayload(operation=operation)
