"""Tables of a client account (seed 004): structured lists such as vehicles or employees.
Staff define the columns; rows are added by the client side (whoever sees the table),
by staff, or by a form's TABLE question when the form is signed. Assigned like documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from carnet.i18n import N_
from models.account_forms import AccountTable, AccountTableRow, AccountTableShare
from resolvers.accounts import visibility
from resolvers.accounts.accounts import locked_account
from resolvers.accounts.forms import record
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text

TABLES = visibility.ItemKind(AccountTable, AccountTableShare, "table_id")
NAME_MAX = 200
LABEL_MAX = 100
COLUMNS_MAX = 30
VALUE_MAX = 1000


@dataclass
class ColumnData:
    label: str | None
    key: str | None = None  # an existing column's key, to keep its values


def _columns(columns: Sequence[ColumnData], errors: ErrorCollector, old: Sequence[dict] = ()):
    at = ("input", "columns")
    if not columns:
        errors.add(UserErrorCode.REQUIRED, at, N_("Give at least one column."))
    if len(columns) > COLUMNS_MAX:
        errors.add(UserErrorCode.TOO_MANY, at, N_("At most {max} columns."), max=COLUMNS_MAX)
    used = {c["key"] for c in old}
    serial = max([int(k[1:]) for k in used if k[1:].isdigit()] + [0])
    cleaned: list[dict] = []
    for index, column in enumerate(columns):
        label = clean_text(
            column.label, errors, (*at, index, "label"), max_length=LABEL_MAX, required=True
        )
        key = column.key if column.key in used else None
        if key is None or key in [c["key"] for c in cleaned]:
            serial += 1
            key = f"c{serial}"
        cleaned.append({"key": key, "label": label})
    return cleaned


async def create(
    actor, account_id: int, name: str | None, columns: Sequence[ColumnData], group_ids, link_ids
) -> AccountTable:
    errors = ErrorCollector()
    name = clean_text(name, errors, ("input", "name"), max_length=NAME_MAX, required=True)
    cleaned = _columns(columns, errors)
    errors.raise_if_any()
    async with unit_of_work():
        account = await locked_account(actor, account_id, ("input", "account_id"))
        groups = await visibility.account_groups(
            account.id, group_ids, ("input", "access_group_ids")
        )
        links = await visibility.account_links(
            account.id, link_ids, ("input", "account_contact_ids")
        )
        table = await AccountTable.create(
            account_id=account.id, name=name, columns=cleaned, created_by=actor.user
        )
        await visibility.share(TABLES, table.id, groups, links)
        await record(
            actor,
            "account_table.create",
            ("AccountTable", table.id),
            after={"name": name, "columns": [c["label"] for c in cleaned]},
        )
    return table


async def _locked(caller, table_id: int) -> AccountTable:
    table = (
        await AccountTable.filter(id=table_id, account__organization_id=caller.organization_id)
        .select_for_update()
        .first()
    )
    if table is None:
        raise NotFound(("input", "table_id"))
    return table


async def update(
    actor, table_id: int, name, columns: Sequence[ColumnData] | None, group_ids, link_ids
) -> AccountTable:
    """Renames, redefines the columns (a removed column's values are no longer shown),
    and replaces the assignment when given."""
    errors = ErrorCollector()
    async with unit_of_work():
        table = await _locked(actor, table_id)
        before = {"name": table.name, "columns": [c["label"] for c in table.columns]}
        if name is not None:
            table.name = clean_text(
                name, errors, ("input", "name"), max_length=NAME_MAX, required=True
            )
        if columns is not None:
            table.columns = _columns(columns, errors, table.columns)
        groups = links = None
        if group_ids is not None:
            groups = await visibility.account_groups(
                table.account_id, group_ids, ("input", "access_group_ids")
            )
        if link_ids is not None:
            links = await visibility.account_links(
                table.account_id, link_ids, ("input", "account_contact_ids")
            )
        errors.raise_if_any()
        await table.save(update_fields=["name", "columns", "updated_at"])
        if groups is not None or links is not None:
            [(old_groups, old_links)] = await visibility.assignments_of(TABLES, [table.id])
            await visibility.shares_set(
                TABLES,
                table.id,
                old_groups if groups is None else groups,
                old_links if links is None else links,
            )
        await record(
            actor,
            "account_table.update",
            ("AccountTable", table.id),
            before=before,
            after={"name": table.name, "columns": [c["label"] for c in table.columns]},
        )
    return table


async def delete(actor, table_id: int) -> int:
    async with unit_of_work():
        table = await _locked(actor, table_id)
        await table.delete()
        await record(
            actor, "account_table.delete", ("AccountTable", table_id), before={"name": table.name}
        )
    return table.account_id


async def row_add(caller, table_id: int, values: Sequence[str | None]) -> AccountTableRow:
    """A row: one value per column, in the table's order."""
    errors = ErrorCollector()
    async with unit_of_work():
        table = await _locked(caller, table_id)
        if len(values) != len(table.columns):
            errors.add(
                UserErrorCode.INVALID,
                ("input", "values"),
                N_("Give one value per column ({count})."),
                count=len(table.columns),
            )
        cells = [
            clean_text(v, errors, ("input", "values", i), max_length=VALUE_MAX)
            for i, v in enumerate(values)
        ]
        errors.raise_if_any()
        keys = [c["key"] for c in table.columns]
        row = await AccountTableRow.create(
            table_id=table.id, values=dict(zip(keys, cells, strict=True)), added_by=caller.user
        )
        await record(
            caller, "account_table.row_add", ("AccountTable", table.id), after={"row": row.id}
        )
    return row


async def row_delete(caller, row_id: int) -> AccountTable:
    async with unit_of_work():
        row = await AccountTableRow.get_or_none(
            id=row_id, table__account__organization_id=caller.organization_id
        )
        if row is None:
            raise NotFound(("input", "row_id"))
        table = await _locked(caller, row.table_id)
        await row.delete()
        await record(
            caller,
            "account_table.row_delete",
            ("AccountTable", table.id),
            before={"row": row_id, "values": row.values},
        )
    return table


async def rows_of(table_ids: list[int]) -> list[list[AccountTableRow]]:
    found: dict[int, list] = {pk: [] for pk in table_ids}
    for row in await AccountTableRow.filter(table_id__in=table_ids).order_by("id"):
        found[row.table_id].append(row)
    return [found[pk] for pk in table_ids]
