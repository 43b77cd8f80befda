"""The role-to-permission table ("role superpowers"), defined once and read by the API."""

from __future__ import annotations

from enum import StrEnum

from carnet.i18n import N_
from models.staff import Role


class Permission(StrEnum):
    ORGANIZATION_READ = "organization.read"
    ORGANIZATION_MANAGE = "organization.manage"
    STAFF_READ = "staff.read"
    STAFF_MANAGE = "staff.manage"
    STAFF_MANAGE_OWNERS = "staff.manage_owners"
    AUDIT_READ = "audit.read"
    CONTACTS_READ = "contacts.read"
    CONTACTS_WRITE = "contacts.write"
    CONTACTS_IMPORT_EXPORT = "contacts.import_export"
    SEGMENTS_READ = "segments.read"
    SEGMENTS_WRITE = "segments.write"
    BULK_RUN = "bulk.run"
    MESSAGES_SEND = "messages.send"
    ACCOUNTS_READ = "accounts.read"
    ACCOUNTS_WRITE = "accounts.write"
    BILLING_READ = "billing.read"
    BILLING_WRITE = "billing.write"
    BILLING_REFUND = "billing.refund"
    TEAMS_READ = "teams.read"
    TEAMS_MANAGE = "teams.manage"
    PRIVACY_MANAGE = "privacy.manage"


class Relationship(StrEnum):
    """Access granted by a relationship to one record rather than by a staff role."""

    PUBLIC = "PUBLIC"  # anyone, signed in or not
    AUTHENTICATED = "AUTHENTICATED"  # any signed-in user
    SELF = "SELF"  # the signed-in user's own records
    ACCOUNT_PRIMARY = "ACCOUNT_PRIMARY"  # the primary contact of a client account
    ACCOUNT_CONTACT = "ACCOUNT_CONTACT"  # any contact of a client account
    TEAM_OWNER = "TEAM_OWNER"  # the owner of a team
    TEAM_MEMBER = "TEAM_MEMBER"  # a member of a team


# Granted by who is asking, not by a record: no check to register for these.
CALLER_RELATIONSHIPS = frozenset({Relationship.PUBLIC, Relationship.AUTHENTICATED})


P = Permission
_EVERY_STAFF = {
    P.ORGANIZATION_READ,
    P.STAFF_READ,
    P.CONTACTS_READ,
    P.SEGMENTS_READ,
    P.ACCOUNTS_READ,
    P.TEAMS_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(
        _EVERY_STAFF
        | {
            P.ORGANIZATION_MANAGE,
            P.STAFF_MANAGE,
            P.AUDIT_READ,
            P.CONTACTS_WRITE,
            P.CONTACTS_IMPORT_EXPORT,
            P.SEGMENTS_WRITE,
            P.BULK_RUN,
            P.MESSAGES_SEND,
            P.ACCOUNTS_WRITE,
            P.BILLING_READ,
            P.TEAMS_MANAGE,
            P.PRIVACY_MANAGE,
        }
    ),
    # BILLING_ADMIN reads the audit log's billing events only (filtered in resolvers.audit).
    Role.BILLING_ADMIN: frozenset(
        _EVERY_STAFF
        | {
            P.AUDIT_READ,
            P.BILLING_READ,
            P.BILLING_WRITE,
            P.BILLING_REFUND,
            P.TEAMS_MANAGE,
        }
    ),
    Role.AGENT: frozenset(
        _EVERY_STAFF
        | {
            P.CONTACTS_WRITE,
            P.SEGMENTS_WRITE,
            P.BULK_RUN,
            P.MESSAGES_SEND,
            P.ACCOUNTS_WRITE,
        }
    ),
    Role.VIEWER: frozenset(_EVERY_STAFF),
}

ROLE_LABELS: dict[Role, dict[str, str]] = {
    Role.OWNER: {"en": "Owner", "fr": "Propriétaire"},
    Role.ADMIN: {"en": "Administrator", "fr": "Administrateur"},
    Role.BILLING_ADMIN: {"en": "Billing administrator", "fr": "Administrateur de la facturation"},
    Role.AGENT: {"en": "Agent", "fr": "Agent"},
    Role.VIEWER: {"en": "Viewer", "fr": "Lecteur"},
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.OWNER: N_("Everything, including granting and removing the owner role."),
    Role.ADMIN: N_("Runs the organization: profile, staff (except owners), contacts, messages."),
    Role.BILLING_ADMIN: N_("Plans, invoices, payments and refunds; reads billing events."),
    Role.AGENT: N_("Works with contacts, accounts, segments and messages."),
    Role.VIEWER: N_("Reads everything non-financial; changes nothing."),
}

PERMISSION_DESCRIPTIONS: dict[Permission, str] = {
    P.ORGANIZATION_READ: N_("See the organization's profile."),
    P.ORGANIZATION_MANAGE: N_("Edit the profile, settings, custom fields, groups and colours."),
    P.STAFF_READ: N_("See the staff list."),
    P.STAFF_MANAGE: N_("Add staff, change roles and deactivate staff (never owners)."),
    P.STAFF_MANAGE_OWNERS: N_("Grant and remove the owner role."),
    P.AUDIT_READ: N_("Read the audit log."),
    P.CONTACTS_READ: N_("See contacts."),
    P.CONTACTS_WRITE: N_("Create and edit contacts, consent, groups; merge duplicates."),
    P.CONTACTS_IMPORT_EXPORT: N_("Import and export contacts."),
    P.SEGMENTS_READ: N_("See segments."),
    P.SEGMENTS_WRITE: N_("Create and edit segments."),
    P.BULK_RUN: N_("Run non-financial batch actions."),
    P.MESSAGES_SEND: N_("Send email, SMS and internal messages."),
    P.ACCOUNTS_READ: N_("See client accounts."),
    P.ACCOUNTS_WRITE: N_("Manage households, account contacts and documents."),
    P.BILLING_READ: N_("See plans, invoices and payments."),
    P.BILLING_WRITE: N_("Manage plans, invoices, payments and credit notes."),
    P.BILLING_REFUND: N_("Issue single and batch refunds."),
    P.TEAMS_READ: N_("See teams."),
    P.TEAMS_MANAGE: N_("Manage teams and their seats."),
    P.PRIVACY_MANAGE: N_("Export and erase a person's data on their request."),
}


def role_label(role: Role, locale: str) -> str:
    labels = ROLE_LABELS[role]
    return labels.get(locale, labels["en"])
