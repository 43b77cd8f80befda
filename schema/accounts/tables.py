"""Tables of a client account: types; staff define them (accounts.write); rows are added
by staff or, from the client side, by whoever sees the table (ACCOUNT_CONTACT)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.account_forms import AccountTable, AccountTableRow
from models.accounts import ClientAccount
from models.identity import User
from resolvers.accounts import tables, visibility
from resolvers.common.permissions import Permission, Relationship
from resolvers.common.relationships import register
from schema import ids
from schema.accounts.assignment import assignees
from schema.accounts.form_answers import mine_loader
from schema.accounts.types import ClientAccountType, _loader
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Node, model_node


async def _sees_table(user: User, table: AccountTable) -> bool:
    return await visibility.sees(tables.TABLES, user, table)


async def _sees_row(user: User, row: AccountTableRow) -> bool:
    return await _sees_table(user, await AccountTable.get(id=row.table_id))


register(Relationship.ACCOUNT_CONTACT, AccountTable, _sees_table)
register(Relationship.ACCOUNT_CONTACT, AccountTableRow, _sees_row)


@strawberry.type
class TableColumn:
    key: str = strawberry.field(description="Stable when the columns are redefined.")
    label: str


@model_node(
    "AccountTableRow",
    AccountTableRow,
    Permission.ACCOUNTS_READ,
    organization_path="table__account__organization_id",
)
class AccountTableRowType(Node):
    created_at: datetime

    @strawberry.field(description="Whether a signed form's TABLE question added it.")
    def from_form(self) -> bool:
        return self.response_id is not None


@model_node(
    "AccountTable",
    AccountTable,
    Permission.ACCOUNTS_READ,
    organization_path="account__organization_id",
)
class AccountTableType(Node):
    name: str
    created_at: datetime

    @strawberry.field
    def columns(self) -> list[TableColumn]:
        return [TableColumn(key=c["key"], label=c["label"]) for c in self.columns]

    @strawberry.field(description="Each row's values, in the columns' order, oldest row first.")
    async def rows(self, info: strawberry.Info) -> list[TableRow]:
        found = await _loader(info, "table_rows", tables.rows_of).load(self.id)
        keys = [c["key"] for c in self.columns]
        return [
            TableRow(
                id=strawberry.ID(ids.encode("AccountTableRow", r.id)),
                values=[r.values.get(k, "") for k in keys],
                from_form=r.response_id is not None,
                created_at=r.created_at,
            )
            for r in found
        ]

    @strawberry.field(description="The access groups it is assigned to.")
    async def access_group_ids(self, info: strawberry.Info) -> list[strawberry.ID]:
        groups, _ = await _assignment(info, self.id)
        return [strawberry.ID(ids.encode("AccessGroup", pk)) for pk in groups]

    @strawberry.field(description="The account contacts it is assigned to.")
    async def account_contact_ids(self, info: strawberry.Info) -> list[strawberry.ID]:
        _, links = await _assignment(info, self.id)
        return [strawberry.ID(ids.encode("AccountContact", pk)) for pk in links]


@strawberry.type
class TableRow:
    id: strawberry.ID = strawberry.field(description="The AccountTableRow's global id.")
    values: list[str]
    from_form: bool = strawberry.field(description="Added by a signed form's TABLE question.")
    created_at: datetime


async def _assignment(info, pk: int):
    async def batch(keys):
        return await visibility.assignments_of(tables.TABLES, keys)

    return await _loader(info, "table_assignments", batch).load(pk)


async def account_tables(root: ClientAccountType, info: strawberry.Info) -> list[AccountTableType]:
    async def batch(keys):
        return await visibility.of_accounts(tables.TABLES, keys)

    return await _loader(info, "tables", batch).load(root.id)


async def my_tables(root, info: strawberry.Info) -> list[AccountTableType]:
    return await mine_loader(info, tables.TABLES).load(root.link)


@strawberry.input
class TableColumnInput:
    key: str | None = strawberry.field(
        default=None, description="An existing column's key, to keep its values."
    )
    label: str


@strawberry.input
class AccountTableCreateInput:
    account_id: strawberry.ID
    name: str
    columns: list[TableColumnInput]
    access_group_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    account_contact_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class AccountTableUpdateInput:
    table_id: strawberry.ID
    name: str | None = None
    columns: list[TableColumnInput] | None = None
    access_group_ids: list[strawberry.ID] | None = None
    account_contact_ids: list[strawberry.ID] | None = None


@strawberry.input
class AccountTableDeleteInput:
    table_id: strawberry.ID


@strawberry.input
class AccountTableRowAddInput:
    table_id: strawberry.ID
    values: list[str] = strawberry.field(description="One per column, in the table's order.")


@strawberry.input
class AccountTableRowDeleteInput:
    row_id: strawberry.ID


@strawberry.type
class AccountTablePayload(Payload):
    table: AccountTableType | None = None


@strawberry.type
class AccountTableDeletePayload(Payload):
    deleted_table_id: strawberry.ID | None = None
    account: ClientAccountType | None = None


def _columns(columns):
    return None if columns is None else [tables.ColumnData(c.label, c.key) for c in columns]


@strawberry.type
class AccountTablesMutation:
    @strawberry.mutation(
        **describe(
            "Defines a table (its columns) for the account, assigned to access groups and "
            "account contacts.",
            requires(Permission.ACCOUNTS_WRITE, scope="input.accountId"),
        )
    )
    async def account_table_create(
        self, info: strawberry.Info, input: AccountTableCreateInput
    ) -> AccountTablePayload:
        pk = await scoped_id(info, input.account_id, "ClientAccount", ("input", "accountId"))
        groups, links = await assignees(info, input.access_group_ids, input.account_contact_ids)
        table = await tables.create(
            info.context.actor(info), pk, input.name, _columns(input.columns), groups, links
        )
        return AccountTablePayload(table=table)

    @strawberry.mutation(
        **describe(
            "Renames a table, redefines its columns (pass a column's key to keep its values) "
            "or replaces its assignment.",
            requires(Permission.ACCOUNTS_WRITE, scope="input.tableId"),
        )
    )
    async def account_table_update(
        self, info: strawberry.Info, input: AccountTableUpdateInput
    ) -> AccountTablePayload:
        pk = await scoped_id(info, input.table_id, "AccountTable", ("input", "tableId"))
        groups, links = await assignees(info, input.access_group_ids, input.account_contact_ids)
        table = await tables.update(
            info.context.actor(info), pk, input.name, _columns(input.columns), groups, links
        )
        return AccountTablePayload(table=table)

    @strawberry.mutation(
        **describe(
            "Deletes a table with its rows.",
            requires(Permission.ACCOUNTS_WRITE, scope="input.tableId"),
        )
    )
    async def account_table_delete(
        self, info: strawberry.Info, input: AccountTableDeleteInput
    ) -> AccountTableDeletePayload:
        pk = await scoped_id(info, input.table_id, "AccountTable", ("input", "tableId"))
        account_id = await tables.delete(info.context.actor(info), pk)
        return AccountTableDeletePayload(
            deleted_table_id=strawberry.ID(ids.encode("AccountTable", pk)),
            account=await ClientAccount.get(id=account_id),
        )

    @strawberry.mutation(
        **describe(
            "Adds a row to a table: staff, or from the client side whoever sees the table "
            "(the primary, FULL contacts, ASSIGNED contacts it is assigned to).",
            requires(
                Permission.ACCOUNTS_WRITE,
                relationship=Relationship.ACCOUNT_CONTACT,
                scope="input.tableId",
            ),
        )
    )
    async def account_table_row_add(
        self, info: strawberry.Info, input: AccountTableRowAddInput
    ) -> AccountTablePayload:
        pk = await scoped_id(info, input.table_id, "AccountTable", ("input", "tableId"))
        await tables.row_add(info.context.principal(info), pk, input.values)
        return AccountTablePayload(table=await AccountTable.get(id=pk))

    @strawberry.mutation(
        **describe(
            "Removes a row from a table: staff, or whoever sees the table.",
            requires(
                Permission.ACCOUNTS_WRITE,
                relationship=Relationship.ACCOUNT_CONTACT,
                scope="input.rowId",
            ),
        )
    )
    async def account_table_row_delete(
        self, info: strawberry.Info, input: AccountTableRowDeleteInput
    ) -> AccountTablePayload:
        pk = await scoped_id(info, input.row_id, "AccountTableRow", ("input", "rowId"))
        table = await tables.row_delete(info.context.principal(info), pk)
        return AccountTablePayload(table=table)
