"""Bulk operations: the operation as it runs (counters, state, per-record results), the
list of them, cancel, and the contacts target every contact batch action takes.

Reading needs bulk.run, as starting does; each batch action is its own mutation that needs
bulk.run AND what the action changes (schema.bulk_contacts).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from carnet.i18n import N_, translate
from models.bulk import BulkItemStatus, BulkOperation, BulkOperationKind, BulkOperationState
from resolvers.bulk import contact_targets, operations
from resolvers.bulk import undo as bulk_undo
from resolvers.bulk.contact_targets import ContactTarget
from resolvers.common.errors import BadUserInput, NotFound, UserErrorCode, UserErrors
from resolvers.common.permissions import Permission
from schema import ids
from schema.contact_filters import ContactFilterInput, contact_filter
from schema.identity import UserType
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_ids
from schema.types import Connection, Node, model_node, related

BulkOperationStateEnum = strawberry.enum(
    BulkOperationState,
    name="BulkOperationState",
    description="CREATED: queued, no chunk started. RUNNING. COMPLETED. FAILED: part of it "
    "failed after repeated errors. CANCELED: stopped at the next chunk; what was done stays.",
)
BulkOperationKindEnum = strawberry.enum(BulkOperationKind, name="BulkOperationKind")
BulkResultStatusEnum = strawberry.enum(
    BulkItemStatus,
    name="BulkOperationResultStatus",
    description="PENDING: not reached yet. SUCCEEDED: changed. SKIPPED: nothing to do, "
    "see `reasonCode`. FAILED: could not be changed, see `reasonCode`.",
)

# The global id type of each record type an operation runs on.
RECORD_TYPE_NAMES = {
    contact_targets.RECORD_TYPE: "Contact",
    "import_row": "ContactImportRow",  # a row number of a contact import's file
    "payment": "Payment",
}


@strawberry.type(description="What an operation did to one record of its target.")
class BulkOperationResult:
    record_id: strawberry.ID = strawberry.field(description="The record's global id.")
    status: BulkResultStatusEnum
    reason_code: str = strawberry.field(
        description="Why it was SKIPPED or FAILED (e.g. UNCHANGED, NOT_FOUND, CANCELED); "
        "empty otherwise."
    )
    message: str = strawberry.field(description="The reason, in the reader's language.")


@model_node("BulkOperation", BulkOperation, Permission.BULK_RUN)
class BulkOperationType(Node):
    state: BulkOperationStateEnum
    record_type: str = strawberry.field(description='What it runs on, e.g. "contact".')
    total: int = strawberry.field(description="Records in the frozen target.")
    processed: int = strawberry.field(description="succeeded + skipped + failed.")
    succeeded: int
    skipped: int
    failed: int
    created_at: datetime
    started_at: datetime | None = strawberry.field(description="When its first chunk ran.")
    finished_at: datetime | None
    canceled_at: datetime | None

    @strawberry.field
    def kind(self) -> BulkOperationKindEnum:
        return BulkOperationKind(self.kind)

    @strawberry.field(description="How the target was given (snake_case keys, primary keys).")
    def target(self) -> JSON:
        return self.target

    @strawberry.field(description="The action's arguments (snake_case keys, primary keys).")
    def params(self) -> JSON:
        return self.params

    @strawberry.field(description="Who started it; null if their login was deleted.")
    async def started_by(self) -> UserType | None:
        return await related(self, "started_by")

    @strawberry.field(description="Who canceled it, if anyone.")
    async def canceled_by(self) -> UserType | None:
        return await related(self, "canceled_by")

    @strawberry.field(description="The operation this one undoes.")
    async def undo_of(self) -> BulkOperationType | None:
        return await related(self, "undo_of")

    @strawberry.field(description="The operation that undid this one.")
    async def undone_by(self) -> BulkOperationType | None:
        return await related(self, "undone_by")

    @strawberry.field(description="Whether `bulkOperationUndo` can undo it now.")
    def can_undo(self) -> bool:
        # Undoers register with resolvers.bulk.undo, which decides (finished, not undone).
        return bulk_undo.can_undo(self)

    @strawberry.field(description="Each record of the target, in target order.")
    async def results(
        self,
        info: strawberry.Info,
        status: BulkResultStatusEnum | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[BulkOperationResult]:
        page = await operations.results(
            self,
            BulkItemStatus(status) if status is not None else None,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        type_name = RECORD_TYPE_NAMES.get(self.record_type, self.record_type.title())
        locale = info.context.locale
        items = [
            BulkOperationResult(
                record_id=strawberry.ID(ids.encode(type_name, item.record_id)),
                status=item.status,
                reason_code=item.reason_code,
                message=translate(item.message, locale) if item.message else "",
            )
            for item in page.items
        ]
        return Connection.of(replace(page, items=items))


@strawberry.input(
    description="The contacts of a batch action, frozen when it starts: exactly one of a "
    "segment, a list of contacts, or a search and/or filter (everyone matching, as the "
    "`contacts` query lists them)."
)
class BulkContactTargetInput:
    segment_id: strawberry.ID | None = strawberry.field(
        default=None, description="A saved or static segment's contacts."
    )
    contact_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description=f"These contacts (at most {contact_targets.MAX_CONTACT_IDS}), archived or not.",
    )
    search: str | None = strawberry.field(
        default=None, description="As the contacts query's `search`."
    )
    filter: ContactFilterInput | None = strawberry.field(
        default=None, description="As the contacts query's `filter`."
    )


TARGET_FIELD = ("input", "target")


async def contact_target(info: strawberry.Info, given: BulkContactTargetInput) -> ContactTarget:
    """The target with its ids resolved in the call's organization: NOT_FOUND on their own
    paths (a segment or contacts of another organization included)."""
    forms = [
        given.segment_id is not None,
        given.contact_ids is not None,
        given.search is not None or given.filter is not None,
    ]
    if sum(forms) != 1:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            TARGET_FIELD,
            N_("Give exactly one of segmentId, contactIds, or search and filter."),
        )
    if given.segment_id is not None:
        pk = await scoped_id(info, given.segment_id, "Segment", (*TARGET_FIELD, "segmentId"))
        return ContactTarget(segment_id=pk)
    if given.contact_ids is not None:
        contact_targets.check_count(given.contact_ids)
        pks = await scoped_ids(info, given.contact_ids, "Contact", (*TARGET_FIELD, "contactIds"))
        return ContactTarget(contact_ids=pks)
    try:
        return ContactTarget(filters=contact_filter(given.search, given.filter))
    except NotFound as not_found:
        raise NotFound((*TARGET_FIELD, *not_found.field)) from None
    except BadUserInput as refused:  # a malformed id in the filter
        raise NotFound((*TARGET_FIELD, "filter")) from refused


@strawberry.type
class BulkOperationPayload(Payload):
    operation: BulkOperationType | None = None


@strawberry.input
class BulkOperationCancelInput:
    id: strawberry.ID


@strawberry.type
class BulkQuery:
    @strawberry.field(
        **describe(
            "The organization's bulk operations, newest first.", requires(Permission.BULK_RUN)
        )
    )
    async def bulk_operations(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        state: BulkOperationStateEnum | None = None,
        kind: BulkOperationKindEnum | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[BulkOperationType]:
        page = await operations.operations(
            info.context.actor(info),
            BulkOperationState(state) if state is not None else None,
            BulkOperationKind(kind).value if kind is not None else None,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        return Connection.of(page)

    @strawberry.field(
        **describe("One bulk operation, readable at any time.", requires(Permission.BULK_RUN))
    )
    async def bulk_operation(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> BulkOperationType | None:
        pk = await scoped_id(info, id, "BulkOperation", ("id",))
        return await operations.operation(info.context.actor(info), pk)


@strawberry.type
class BulkMutation:
    @strawberry.mutation(
        **describe(
            "Stops an operation at its next chunk: the records not reached are SKIPPED "
            "(reason CANCELED); what was done stays. ALREADY_FINISHED once it has ended.",
            requires(Permission.BULK_RUN, scope="input.id"),
        )
    )
    async def bulk_operation_cancel(
        self, info: strawberry.Info, input: BulkOperationCancelInput
    ) -> BulkOperationPayload:
        pk = await scoped_id(info, input.id, "BulkOperation", ("input", "id"))
        operation = await operations.cancel(info.context.actor(info), pk)
        return BulkOperationPayload(operation=operation)
