"""Running the contact batch actions through the API and a burst worker, and reading the
operation back as a client would."""

from __future__ import annotations

from typing import Any

from tests.support.contacts import gid
from tests.support.worker import run_worker

ERRORS = "errors { code field message }"
OPERATION_FIELDS = """id kind state total processed succeeded skipped failed canUndo
  undoOf { id } undoneBy { id }
  results(first: 100) { edges { node { recordId status reasonCode message } } }"""
UPDATE = f"""mutation($input: ContactsBulkUpdateInput!) {{
  contactsBulkUpdate(input: $input) {{ operation {{ id state }} {ERRORS} }} }}"""
ARCHIVE = f"""mutation($input: ContactsBulkArchiveInput!) {{
  contactsBulkArchive(input: $input) {{ operation {{ id state }} {ERRORS} }} }}"""
RESTORE = f"""mutation($input: ContactsBulkRestoreInput!) {{
  contactsBulkRestore(input: $input) {{ operation {{ id state }} {ERRORS} }} }}"""
UNDO = f"""mutation($id: ID!) {{
  bulkOperationUndo(input: {{id: $id}}) {{ operation {{ id kind state undoOf {{ id }} }}
  {ERRORS} }} }}"""
OPERATION = f"query($id: ID!) {{ bulkOperation(id: $id) {{ {OPERATION_FIELDS} }} }}"


def ids_target(*contacts) -> dict[str, Any]:
    return {"contactIds": [gid(c) for c in contacts]}


async def started(caller, mutation: str, field: str, variables: dict) -> str:
    result = await caller.execute(mutation, variables)
    operation = result.ok(field)["operation"]
    assert operation is not None
    return operation["id"]


async def finished(caller, settings, operation_id: str) -> dict[str, Any]:
    """The operation once a worker has run every queued job (its own: no cron job, whose
    statements would land in a test's count when one starts in that window)."""
    await run_worker(settings, cron_jobs=[])
    result = await caller.execute(OPERATION, {"id": operation_id})
    assert not result.errors, result.errors
    return result.data["bulkOperation"]


def results_by_record(operation: dict) -> dict[str, dict]:
    return {e["node"]["recordId"]: e["node"] for e in operation["results"]["edges"]}


async def undo(caller, settings, operation_id: str) -> dict[str, Any]:
    undo_id = await started(caller, UNDO, "bulkOperationUndo", {"id": operation_id})
    return await finished(caller, settings, undo_id)
