"""What is told to those watching an operation: called after every chunk's commit and every
change of state. A no-op until progress is published (the progress helper's)."""

from __future__ import annotations

from models.bulk import BulkOperation


async def publish(operation: BulkOperation) -> None:
    return None
