"""`bulkOperationProgress`: a bulk operation's counters as they change, over the websocket."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from resolvers.bulk.progress import ProgressSnapshot, follow
from resolvers.common.permissions import Permission
from resolvers.organizations.stream_guard import StreamGuard
from schema import ids
from schema.bulk import BulkOperationStateEnum
from schema.permissions import describe, requires
from schema.scope import scoped_id


@strawberry.type(
    name="BulkOperationProgress",
    description="Where a bulk operation stands: `processed` of `total` records, of which "
    "`succeeded`, `skipped` and `failed`.",
)
class BulkOperationProgressType:
    snapshot: strawberry.Private[ProgressSnapshot]

    @strawberry.field(description="The BulkOperation's id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("BulkOperation", self.snapshot.operation_id))

    @strawberry.field
    def state(self) -> BulkOperationStateEnum:
        return self.snapshot.state

    @strawberry.field
    def total(self) -> int:
        return self.snapshot.total

    @strawberry.field
    def processed(self) -> int:
        return self.snapshot.processed

    @strawberry.field
    def succeeded(self) -> int:
        return self.snapshot.succeeded

    @strawberry.field
    def skipped(self) -> int:
        return self.snapshot.skipped

    @strawberry.field
    def failed(self) -> int:
        return self.snapshot.failed

    @strawberry.field(
        description="The operation has ended (COMPLETED, FAILED, or CANCELED with its "
        "remaining records counted as skipped): this is the last snapshot."
    )
    def finished(self) -> bool:
        return self.snapshot.ended


@strawberry.type
class BulkProgressSubscription:
    @strawberry.subscription(
        **describe(
            "The operation's progress now, then each time it changes; completes once the "
            "operation has finished. Access is re-checked before each snapshot.",
            requires(Permission.BULK_RUN),
        )
    )
    async def bulk_operation_progress(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> AsyncGenerator[BulkOperationProgressType, None]:
        pk = await scoped_id(info, id, "BulkOperation", ("id",))
        context = info.context
        guard = StreamGuard(context.session, context.actor(info), Permission.BULK_RUN)
        async for snapshot in follow(guard, pk):
            yield BulkOperationProgressType(snapshot=snapshot)
