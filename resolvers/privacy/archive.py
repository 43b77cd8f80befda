"""What an export archive holds: for one organization, the person's contact rows and
every row the registry finds about them, as JSON, plus their files (member documents,
account documents shared with them, statements of the accounts they hold).

No secret goes in: columns ending in `_hash` (tokens, passwords) and `password` are left
out, and the archive is read only through a single-use link.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from carnet.storage import current_storage
from models.accounts import AccountContact, AccountDocument, AccountDocumentShare, ClientAccount
from models.audit import AuditEvent
from models.contacts import Contact
from models.identity import User
from models.organizations import Organization
from resolvers.billing import statement_files
from resolvers.privacy.registry import Reference, references

_SECRET_SUFFIXES = ("_hash", "password", "secret", "idempotency_key")


@dataclass
class Person:
    """One person as one organization knows them (or, with organization None, the login)."""

    organization_id: int | None
    contact_ids: list[int]
    user_ids: list[int]
    account_contact_ids: list[int] = field(default_factory=list)

    def ids_for(self, target: str) -> list[int]:
        return {
            "Contact": self.contact_ids,
            "User": self.user_ids,
            "AccountContact": self.account_contact_ids,
        }[target]


async def person_in(organization_id: int, contact_ids: list[int]) -> Person:
    contacts = await Contact.filter(id__in=contact_ids, organization_id=organization_id).values(
        "id", "user_id"
    )
    ids = [c["id"] for c in contacts]
    users = sorted({c["user_id"] for c in contacts if c["user_id"]})
    links = await AccountContact.filter(contact_id__in=ids).values_list("id", flat=True)
    return Person(organization_id, ids, users, list(links))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return None
    return value


def _row(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in values.items() if not k.endswith(_SECRET_SUFFIXES)}


def rows_query(ref: Reference, person: Person):
    """The rows of `ref` about `person`; None when there is nothing to look for."""
    ids = person.ids_for(ref.target)
    if not ids:
        return None
    query = ref.model.filter(**{f"{ref.field}_id__in": ids})
    if ref.target == "User":
        if person.organization_id is None:
            return query if ref.organization is None else None
        if ref.organization is None:
            return None  # the login's own rows are not any organization's
        query = query.filter(**{ref.organization: person.organization_id})
    return query


async def organization_data(person: Person) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The JSON of one organization's data about the person, and the files to add
    (archive path, storage key)."""
    organization = await Organization.get(id=person.organization_id)
    contacts = await Contact.filter(id__in=person.contact_ids).order_by("id").values()
    data: dict[str, Any] = {
        "organization": {"id": organization.id, "name": organization.name},
        "contact": [_row(c) for c in contacts],
        "references": {},
        # What the audit log says about them (who did what to their record).
        "audit_events_about": [
            _row(e)
            for e in await AuditEvent.filter(
                organization_id=person.organization_id,
                target_type="Contact",
                target_id__in=[str(i) for i in person.contact_ids],
            )
            .order_by("id")
            .values()
        ],
    }
    files: list[tuple[str, str]] = []
    for ref in references():
        query = rows_query(ref, person)
        if query is None:
            continue
        rows = [_row(r) for r in await query.order_by("id").values()]
        data["references"][ref.key] = rows
        if ref.files:
            for r in rows:
                if r.get(ref.files):
                    files.append((f"files/{ref.model._meta.db_table}-{r['id']}", r[ref.files]))
    shared = await AccountDocumentShare.filter(
        account_contact_id__in=person.account_contact_ids
    ).values_list("document_id", flat=True)
    for document in await AccountDocument.filter(id__in=set(shared)).order_by("id"):
        files.append(
            (f"files/account-document-{document.id}-{document.name}", document.storage_key)
        )
    return data, files


async def statements(person: Person, locale: str) -> list[tuple[str, bytes]]:
    """A statement PDF of each account the person holds, from its opening to now, in the
    requester's language."""
    found = []
    accounts = await ClientAccount.filter(primary_contact_id__in=person.contact_ids).order_by("id")
    for account in accounts:
        start = account.created_at.isoformat()
        end = datetime.now(UTC).isoformat()
        pdf = await statement_files.statement_pdf(
            account.organization_id, account.id, start, end, locale
        )
        found.append((f"files/statement-account-{account.id}.pdf", pdf))
    return found


async def login_data(user_id: int) -> dict[str, Any]:
    user = await User.filter(id=user_id).values()
    person = Person(None, [], [user_id])
    data: dict[str, Any] = {"user": [_row(u) for u in user], "references": {}}
    for ref in references():
        query = rows_query(ref, person)
        if query is not None:
            data["references"][ref.key] = [_row(r) for r in await query.order_by("id").values()]
    return data


async def build_zip(
    documents: dict[str, dict[str, Any]],
    files: list[tuple[str, str]],
    extra: list[tuple[str, bytes]],
) -> bytes:
    storage = current_storage()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in documents.items():
            archive.writestr(name, json.dumps(content, ensure_ascii=False, indent=2, default=str))
        for name, key in files:
            if await storage.exists(key):
                archive.writestr(name, await storage.read(key))
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()
