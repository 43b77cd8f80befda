"""What the bulk-operation tests share: the operation's fields, reading it back, and
running its chunk jobs in a burst worker."""

from __future__ import annotations

from models.bulk import BulkOperation
from schema import ids
from tests.support.worker import run_worker

ERRORS = "errors { code field message }"
OPERATION = """id kind state recordType total processed succeeded skipped failed
  createdAt startedAt finishedAt canceledAt canUndo target params startedBy { id }"""
COLOUR_SET = f"""mutation($input: ContactsBulkColourSetInput!) {{
  contactsBulkColourSet(input: $input) {{ operation {{ {OPERATION} }} {ERRORS} }} }}"""
READ = f"""query($id: ID!, $status: BulkOperationResultStatus, $first: Int = 100,
  $after: String) {{ bulkOperation(id: $id) {{ {OPERATION}
  results(status: $status, first: $first, after: $after) {{ totalCount
    pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ recordId status reasonCode message }} }} }} }} }}"""
CANCEL = f"""mutation($id: ID!) {{ bulkOperationCancel(input: {{id: $id}})
  {{ operation {{ {OPERATION} }} {ERRORS} }} }}"""


def pk(global_id: str) -> int:
    return ids.decode(global_id)[1]


async def read(api, operation_id: str, **variables) -> dict:
    result = await api.execute(READ, {"id": operation_id, **variables})
    assert not result.errors, result.errors
    return result.data["bulkOperation"]


async def run_chunks(settings) -> None:
    await run_worker(settings)


async def operation_row(operation_id: str) -> BulkOperation:
    return await BulkOperation.get(id=pk(operation_id))
