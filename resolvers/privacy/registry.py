"""Every table that refers to a person, and what a privacy request does with its rows.

A person is a contact (in one organization), a user (a login, across organizations) or an
account contact (a contact's place in a household). Each foreign key to one of them is
declared here once, with `refers(Model, "field", ...)`: the export finds the rows through
that key, the erasure does what `erase` says. tests/privacy/test_discovery.py walks the
Tortoise models and fails on a key with no entry, so a new table cannot be forgotten.

`organization` is the path from the row to its organization id, used to keep a staff
export (or an erasure) of one organization's contact to that organization's rows when the
key is a user's; None marks a platform-wide row (a session, a sign-in attempt), exported
only to the user themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tortoise import Tortoise
from tortoise.models import Model

# The models a person is: a key to one of these is a reference to a person.
PERSON_MODELS = ("Contact", "User", "AccountContact")


class Erase(StrEnum):
    KEEP = "KEEP"  # kept: it points to the pseudonymised contact (households, purchases)
    DELETE = "DELETE"  # the rows go (memberships, answers, shares, sessions)
    CLEAR = "CLEAR"  # the columns in `cleared` are blanked; the row (and counts) stay
    # A key naming who did something (a creator, a recorder, an audit actor): kept, so the
    # trail says who acted; the login it names is pseudonymised by `myAccountDelete`.
    ACTOR = "ACTOR"


@dataclass(frozen=True)
class Reference:
    model_name: str
    field: str
    organization: str | None
    erase: Erase
    cleared: dict[str, Any] = field(default_factory=dict)
    # The column holding the storage key of the person's file, copied into the archive.
    files: str | None = None

    @property
    def model(self) -> type[Model]:
        return Tortoise.apps["models"][self.model_name]

    @property
    def key(self) -> str:
        return f"{self.model._meta.db_table}.{self.field}"

    @property
    def target(self) -> str:
        return self.model._meta.fields_map[self.field].related_model.__name__


REGISTRY: dict[tuple[str, str], Reference] = {}


def refers(
    model_name: str,
    field_name: str,
    erase: Erase,
    *,
    organization: str | None = "organization_id",
    cleared: dict[str, Any] | None = None,
    files: str | None = None,
) -> None:
    """Declares the key `model_name.field_name` to a person (see the module's docstring)."""
    REGISTRY[(model_name, field_name)] = Reference(
        model_name, field_name, organization, erase, cleared or {}, files
    )


K, D, C, U = Erase.KEEP, Erase.DELETE, Erase.CLEAR, Erase.ACTOR
ACCOUNT_ORG = "account__organization_id"
# Keys to a contact or an account contact stay in one organization by construction; keys
# to a user are filtered by `organization` (the default: the row's organization_id).
refers("Contact", "user", C, cleared={"user_id": None})  # the login no longer opens it
refers("ConsentRecord", "contact", C, cleared={"proof": ""})  # see erasure.withdrawal_proof
refers("ConsentRecord", "recorded_by", U, organization="contact__organization_id")
refers("GroupMember", "contact", D)
refers("Affiliation", "person", D)
refers("Affiliation", "organization_contact", D)
refers("CustomFieldAnswer", "contact", D)
refers("DuplicateSuggestion", "older", D)
refers("DuplicateSuggestion", "newer", D)
refers("DuplicateSuggestion", "dismissed_by", U)
refers("SegmentMember", "contact", D)
refers("Segment", "created_by", U)
refers("ContactImport", "created_by", U)
refers("ContactExport", "created_by", U)
refers("BulkOperation", "started_by", U)
refers("BulkOperation", "canceled_by", U)
refers("StaffMembership", "user", K)
refers("Invitation", "user", D)
refers("Invitation", "invited_by", U)
refers("ClientAccount", "primary_contact", K)  # erasure refused while they are the primary
refers("ClientAccount", "created_by", U)
refers("AccountContact", "contact", K)  # the household keeps its (pseudonymised) member
refers("AccessGroupMember", "account_contact", D)
refers("AccountDocument", "uploaded_by", U, organization=ACCOUNT_ORG)
refers("AccountDocumentShare", "account_contact", D)
refers("AccountForm", "created_by", U, organization=ACCOUNT_ORG)
refers("AccountFormResponse", "signed_by", U, organization="form__account__organization_id")
refers("AccountFormShare", "account_contact", D)
refers("AccountTable", "created_by", U, organization=ACCOUNT_ORG)
refers("AccountTableRow", "added_by", U, organization="table__account__organization_id")
refers("AccountTableShare", "account_contact", D)
refers("AccountRequest", "created_by", U, organization=ACCOUNT_ORG)
refers("AccountRequest", "submitted_by", U, organization=ACCOUNT_ORG)
refers("AccountRequestShare", "account_contact", D)
refers("MemberSkill", "contact", D)
refers("MemberDocument", "contact", D, files="storage_key")
refers("MemberDocument", "uploaded_by", U)
refers("MembershipCard", "contact", K)
refers("MembershipCard", "created_by", U)
refers("Team", "owner", K)
refers("TeamMember", "user", K, organization="team__organization_id")
refers("TeamMember", "invited_by", U, organization="team__organization_id")
refers("Seat", "user", K)
refers("MessageDraft", "created_by", U)
refers("Message", "created_by", U)
refers("Delivery", "contact", C, cleared={"recipient": "", "subject": "", "body": ""})
refers("Delivery", "user", C, cleared={"recipient": "", "subject": "", "body": ""})
refers("Refund", "created_by", U)
refers("CreditNote", "created_by", U)
refers("Purchase", "member", K)
refers("Purchase", "created_by", U)
refers("Subscription", "member", K)
refers("Subscription", "contact", K)
refers("Subscription", "created_by", U)
refers("FamilyCoverCancellation", "member", K)  # a purchase's history, like Purchase.member
refers("FamilyCoverCancellation", "created_by", U)
refers("Booking", "member", K)
refers("Booking", "contact", K)
refers("Booking", "created_by", U, organization="slot__item__organization_id")
refers("AuditEvent", "actor", U)
refers("PrivacyRequest", "contact", K)
refers("PrivacyRequest", "requested_by", U)
# Platform-wide: the login's own rows, exported to the user, deleted with the login.
refers("Session", "user", D, organization=None)
refers("OneTimeToken", "user", D, organization=None)
refers("SignInAttempt", "user", D, organization=None)


def references() -> list[Reference]:
    return list(REGISTRY.values())


def missing() -> list[str]:
    """Every key to a person in the Tortoise models with no entry, each as the line to add
    to this module."""
    lines = []
    for name, model in sorted(Tortoise.apps["models"].items()):
        for key in sorted(model._meta.fk_fields | model._meta.o2o_fields):
            related = model._meta.fields_map[key].related_model.__name__
            if related in PERSON_MODELS and (name, key) not in REGISTRY:
                lines.append(
                    f'refers("{name}", "{key}", <K|D|C|U>)  # {model._meta.db_table}.{key} '
                    f"-> {related}; organization= the row's path to its organization id"
                )
    return lines
