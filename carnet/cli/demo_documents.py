"""Demo access group and document in the Roy household (development only): the signed-in
client (client@club...) is its primary, so `me { accounts { documents } }` lists the
document and `accountDocumentDownloadLink` gives a link to it.

Idempotent: once the household has an access group, nothing is added.
"""

from __future__ import annotations

from carnet.storage import current_storage, new_key
from models.accounts import (
    AccessGroup,
    AccessGroupMember,
    AccountContact,
    AccountDocument,
    AccountDocumentShare,
    ClientAccount,
)
from models.organizations import Organization
from resolvers.accounts.items import FILE_KIND

# A minimal, valid one-page PDF.
RECEIPT = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


async def seed_demo_documents(club: Organization) -> list[str]:
    lines = ["    Roy household: access group Parents, document tax-receipt-2025.pdf"]
    account = await ClientAccount.get_or_none(organization=club, name="Roy")
    if account is None or await AccessGroup.filter(account=account).exists():
        return lines
    group = await AccessGroup.create(account=account, name="Parents")
    primary = await AccountContact.get(account=account, contact_id=account.primary_contact_id)
    await AccessGroupMember.create(group=group, account_contact=primary)
    key = new_key(club.id, FILE_KIND, "pdf")
    await current_storage().put(key, RECEIPT)
    document = await AccountDocument.create(
        account=account,
        name="tax-receipt-2025.pdf",
        content_type="application/pdf",
        size=len(RECEIPT),
        storage_key=key,
    )
    await AccountDocumentShare.create(document=document, group=group)
    return lines
