"""Statement PDFs: asked for through the API, rendered by a job, stored through
carnet/storage and handed out through a short-lived, single-use link (the account
documents' rules, resolvers/common/downloads.py), at /statements/{token}.

No table of its own: the task row that renders the PDF names the account, the period and
the language, and the file's storage key is made from the task's id, so a job run twice
writes the same file once. The link names the task: until the job has run, the route
answers 409 ("still being prepared") and the link stays usable.

`statementSend` emails a statement the same way as an invoice (resolvers/billing/mail.py):
a transactional message through the outbox, linking to the client side.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from carnet.auth import token_digest
from carnet.i18n import N_
from carnet.settings import Settings
from carnet.storage import check_key, current_storage
from models.accounts import ClientAccount
from models.organizations import Organization
from models.tasks import Task, TaskStatus
from resolvers.billing import ledger, pdf
from resolvers.common import audit, downloads
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now

RENDER = "render_statement_pdf"
LINK_PURPOSE = "statement-pdf"
LINK_ROUTE = "statements"


def storage_key(organization_id: int, task_id: int) -> str:
    return check_key(f"org/{int(organization_id)}/statement-pdfs/{int(task_id)}.pdf")


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
    expires_at = now() + timedelta(seconds=settings.export_link_ttl_seconds)
    token = downloads.sign(LINK_PURPOSE, task.id, expires_at)
    return downloads.DownloadLink(downloads.link_url(settings, LINK_ROUTE, token), expires_at)


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


async def download(token: str, meta: RequestMeta) -> downloads.Download:
    pk, expires_at = downloads.verify(LINK_PURPOSE, token)
    task = await Task.get_or_none(id=pk, function=RENDER)
    if task is None or task.status is TaskStatus.FAILED:
        raise downloads.expired()
    if task.status is not TaskStatus.DONE:
        raise downloads.LinkRefused(
            409, N_("This file is still being prepared. Try again in a moment.")
        )
    organization_id, account_id, start = task.args[0], task.args[1], task.args[2]
    storage = current_storage()
    key = storage_key(organization_id, task.id)
    size = await storage.size(key)
    if size is None:
        raise downloads.expired()
    await downloads.use_once(token_digest(token), expires_at)
    await audit.record(
        "billing.statement.download",
        actor=None,
        meta=meta,
        organization_id=organization_id,
        target=("ClientAccount", account_id),
        after={"size": size},
    )
    name = f"statement-{start[:10]}.pdf"
    return downloads.Download(name, size, storage.open(key), "application/pdf")
