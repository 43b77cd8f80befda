"""Statement and invoice PDFs: asked for through the API, rendered by a job, stored through
carnet/storage and handed out through a short-lived, single-use link (the account
documents' rules, resolvers/common/downloads.py), at /statements/{token} and
/invoice-pdfs/{token}.

No table of its own: the task row that renders the PDF names the account, the period and
the language, and the file's storage key is made from the task's id, so a job run twice
writes the same file once; the file is deleted with the task, `CARNET_TASK_RETENTION_DAYS`
after it ran. The link names the task: until the job has run, the route
answers 409 ("still being prepared") and the link stays usable.

`statementSend` emails a statement the same way as an invoice (resolvers/billing/mail.py):
a transactional message through the outbox, linking to the client side.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from carnet.i18n import N_
from carnet.settings import Settings
from carnet.storage import check_key, current_storage
from models.accounts import ClientAccount
from models.billing import Invoice, InvoiceLine, InvoiceStatus
from models.identity import User
from models.organizations import Organization
from models.tasks import Task, TaskStatus
from resolvers.billing import ledger, pdf
from resolvers.common import audit, downloads
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import UserErrorCode, UserErrors
from resolvers.common.permissions import Relationship
from resolvers.common.relationships import checkable, register
from resolvers.common.tasks import on_purge, unit_of_work

RENDER = "render_statement_pdf"
LINK_PURPOSE = "statement-pdf"
LINK_ROUTE = "statements"


def storage_key(organization_id: int, task_id: int) -> str:
    return check_key(f"org/{int(organization_id)}/statement-pdfs/{int(task_id)}.pdf")


async def _delete_file(task: Task) -> None:
    """When the task is purged (`CARNET_TASK_RETENTION_DAYS`): its link expired long ago."""
    await current_storage().delete(storage_key(task.args[0], task.id))


def check_period(start: datetime, end: datetime) -> None:
    if end <= start:
        raise UserErrors.single(
            UserErrorCode.INVALID, ("input", "to"), N_("`to` must come after `from`.")
        )


async def request(
    principal, account_id: int, period: tuple[datetime, datetime], locale: str, settings: Settings
) -> downloads.DownloadLink:
    """Queues the PDF's rendering in `locale` (after commit) and mints its link. Audited."""
    start, end = period
    check_period(start, end)
    account = await ClientAccount.get(id=account_id)
    locale = locale if locale in ("en", "fr") else "en"
    async with unit_of_work() as uow:
        task = await uow.defer(
            RENDER,
            account.organization_id,
            account.id,
            start.isoformat(),
            end.isoformat(),
            locale,
        )
        await audit.record(
            "billing.statement.pdf",
            actor=principal.user,
            meta=principal.meta,
            organization_id=account.organization_id,
            target=("ClientAccount", account.id),
            after={"from": start.isoformat(), "to": end.isoformat()},
        )
    return downloads.signed_link(settings, LINK_PURPOSE, LINK_ROUTE, task.id)


async def statement_pdf(
    organization_id: int, account_id: int, start: str, end: str, locale: str
) -> bytes:
    account = await ClientAccount.get(id=account_id, organization_id=organization_id)
    organization = await Organization.get(id=organization_id)
    begin, finish = datetime.fromisoformat(start), datetime.fromisoformat(end)
    found = await ledger.statement(account.id, organization.currency, begin, finish)
    return pdf.render_statement(organization, account, found, begin, finish, locale)


def render_job(task_id: int):
    """The job's body for task `task_id`: renders and stores the file under the task's
    key (`put` replaces: a second run leaves one file)."""

    async def body(
        organization_id: int, account_id: int, start: str, end: str, locale: str
    ) -> None:
        data = await statement_pdf(organization_id, account_id, start, end, locale)
        await current_storage().put(storage_key(organization_id, task_id), data)

    return body


async def _serve(
    token: str, meta: RequestMeta, purpose: str, function: str
) -> tuple[Task, downloads.Download]:
    """The rendered file a signed link names (409 until its job has run), used up."""
    pk, expires_at = downloads.verify(purpose, token)
    task = await Task.get_or_none(id=pk, function=function)
    if task is None or task.status is TaskStatus.FAILED:
        raise downloads.expired()
    if task.status is not TaskStatus.DONE:
        raise downloads.LinkRefused(
            409, N_("This file is still being prepared. Try again in a moment.")
        )
    key = storage_key(task.args[0], task.id)
    return task, await downloads.serve_once(token, expires_at, key, "", "application/pdf")


async def download(token: str, meta: RequestMeta) -> downloads.Download:
    task, found = await _serve(token, meta, LINK_PURPOSE, RENDER)
    organization_id, account_id, start = task.args[0], task.args[1], task.args[2]
    await audit.record(
        "billing.statement.download",
        actor=None,
        meta=meta,
        organization_id=organization_id,
        target=("ClientAccount", account_id),
        after={"size": found.size},
    )
    return replace(found, filename=f"statement-{start[:10]}.pdf")


# Invoices: the same, at /invoice-pdfs/{token}.
RENDER_INVOICE = "render_invoice_pdf"
INVOICE_LINK_PURPOSE = "invoice-pdf"
INVOICE_LINK_ROUTE = "invoice-pdfs"


async def _primary_of_invoice(user: User, invoice: Invoice) -> bool:
    """The user is the primary of the invoice's account, and the invoice is finalized."""
    if invoice.status is InvoiceStatus.DRAFT:
        return False
    return await ClientAccount.filter(
        id=invoice.account_id, primary_contact__user_id=user.id
    ).exists()


if not checkable(Relationship.ACCOUNT_PRIMARY, Invoice):  # another module may say it first
    register(Relationship.ACCOUNT_PRIMARY, Invoice, _primary_of_invoice)


async def request_invoice(
    principal, invoice_id: int, locale: str, settings: Settings
) -> downloads.DownloadLink:
    invoice = await Invoice.get(id=invoice_id)
    locale = locale if locale in ("en", "fr") else "en"
    async with unit_of_work() as uow:
        task = await uow.defer(RENDER_INVOICE, invoice.organization_id, invoice.id, locale)
        await audit.record(
            "billing.invoice.pdf",
            actor=principal.user,
            meta=principal.meta,
            organization_id=invoice.organization_id,
            target=("Invoice", invoice.id),
        )
    return downloads.signed_link(settings, INVOICE_LINK_PURPOSE, INVOICE_LINK_ROUTE, task.id)


def render_invoice_job(task_id: int):
    async def body(organization_id: int, invoice_id: int, locale: str) -> None:
        invoice = await Invoice.get(id=invoice_id, organization_id=organization_id)
        account = await ClientAccount.get(id=invoice.account_id)
        organization = await Organization.get(id=organization_id)
        lines = await InvoiceLine.filter(invoice_id=invoice.id).order_by("id")
        data = pdf.render_invoice(organization, account, invoice, list(lines), locale)
        await current_storage().put(storage_key(organization_id, task_id), data)

    return body


async def download_invoice(token: str, meta: RequestMeta) -> downloads.Download:
    task, found = await _serve(token, meta, INVOICE_LINK_PURPOSE, RENDER_INVOICE)
    invoice = await Invoice.get_or_none(id=task.args[1])
    await audit.record(
        "billing.invoice.download",
        actor=None,
        meta=meta,
        organization_id=task.args[0],
        target=("Invoice", task.args[1]),
        after={"size": found.size},
    )
    number = invoice.number if invoice is not None and invoice.number else "draft"
    return replace(found, filename=f"invoice-{number}.pdf")


on_purge(RENDER, _delete_file)
on_purge(RENDER_INVOICE, _delete_file)
