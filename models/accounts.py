"""Client accounts (households): the account, which names its one PRIMARY contact, and the
contacts of the account (members of the household and other account contacts).

Exactly one primary per account by construction: the account row holds a NOT NULL
reference to its primary contact, and an account contact's role is PRIMARY exactly when it
is that contact (`AccountContact.kind` says what the others are).
"""

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

from models.base import TimestampedModel


class AccountContactKind(StrEnum):
    MEMBER = "MEMBER"  # a person of the household, of any age; the primary answers for them
    OTHER = "OTHER"  # another account contact: a co-parent, an accountant, a broker


class AccessLevel(StrEnum):
    FULL = "FULL"  # everything the primary sees, without managing contacts
    ASSIGNED = "ASSIGNED"  # only what is assigned to them or their access groups
    NONE = "NONE"  # listed, cannot sign in to the account


class ClientAccount(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "models.Organization", related_name="client_accounts", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    # The account holder: an adult who receives communications, invoices and statements.
    # Never null, so an account always has its one primary.
    primary_contact = fields.ForeignKeyField(
        "models.Contact", related_name="primary_of_accounts", on_delete=fields.RESTRICT
    )
    # The name folded like contacts' sort names: what the list sorts and searches by.
    sort_name = fields.CharField(max_length=200, default="")
    created_by = fields.ForeignKeyField(
        "models.User", related_name="client_accounts_created", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "client_account"
        indexes = (("organization_id", "sort_name", "id"), ("primary_contact_id",))


class AccountContact(TimestampedModel):
    """One contact of one account: a contact may be in several accounts.

    A child of separated parents is a member of both households."""

    id = fields.BigIntField(primary_key=True)
    account = fields.ForeignKeyField(
        "models.ClientAccount", related_name="account_contacts", on_delete=fields.CASCADE
    )
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="account_links", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(AccountContactKind, max_length=8)
    access_level = fields.CharEnumField(AccessLevel, max_length=8, default=AccessLevel.NONE)
    # How they relate to the account, in the organization's words ("co-parent", "accountant").
    relationship = fields.CharField(max_length=100, default="")
    # The activation invitation mailed to this contact, while they have no login here.
    invitation = fields.ForeignKeyField(
        "models.Invitation", related_name="account_contacts", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "account_contact"
        constraints = (
            UniqueConstraint(fields=("account_id", "contact_id"), name="account_contact_unique"),
        )
        indexes = (("contact_id",),)


class AccessGroup(TimestampedModel):
    """A named group of one account's contacts (seed 004): items are assigned to it."""

    id = fields.BigIntField(primary_key=True)
    account = fields.ForeignKeyField(
        "models.ClientAccount", related_name="access_groups", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)

    class Meta:
        table = "account_access_group"
        constraints = (
            UniqueConstraint(fields=("account_id", "name"), name="account_access_group_name"),
        )


class AccessGroupMember(TimestampedModel):
    id = fields.BigIntField(primary_key=True)
    group = fields.ForeignKeyField(
        "models.AccessGroup", related_name="members", on_delete=fields.CASCADE
    )
    account_contact = fields.ForeignKeyField(
        "models.AccountContact", related_name="access_groups", on_delete=fields.CASCADE
    )

    class Meta:
        table = "account_access_group_member"
        constraints = (
            UniqueConstraint(
                fields=("group_id", "account_contact_id"), name="account_access_group_member_unique"
            ),
        )
        indexes = (("account_contact_id",),)


class AccountDocument(TimestampedModel):
    """A file of the account, kept in storage under `storage_key` (never in the row)."""

    id = fields.BigIntField(primary_key=True)
    account = fields.ForeignKeyField(
        "models.ClientAccount", related_name="documents", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=50)
    size = fields.BigIntField()
    storage_key = fields.CharField(max_length=200)
    uploaded_by = fields.ForeignKeyField(
        "models.User", related_name="account_documents", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "account_document"
        indexes = (("account_id", "id"),)


class AccountDocumentShare(TimestampedModel):
    """A document assigned to an access group or to one account contact (exactly one)."""

    id = fields.BigIntField(primary_key=True)
    document = fields.ForeignKeyField(
        "models.AccountDocument", related_name="shares", on_delete=fields.CASCADE
    )
    group = fields.ForeignKeyField(
        "models.AccessGroup", related_name="document_shares", null=True, on_delete=fields.CASCADE
    )
    account_contact = fields.ForeignKeyField(
        "models.AccountContact",
        related_name="document_shares",
        null=True,
        on_delete=fields.CASCADE,
    )

    class Meta:
        table = "account_document_share"
        constraints = (
            UniqueConstraint(fields=("document_id", "group_id"), name="account_document_group"),
            UniqueConstraint(
                fields=("document_id", "account_contact_id"), name="account_document_contact"
            ),
        )
        indexes = (("group_id",), ("account_contact_id",))
