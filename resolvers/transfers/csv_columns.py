"""The contact columns a CSV can carry: one list for imports and exports.

An export's header row uses `header` (English) or `header_fr`; an import recognizes either,
case- and accent-insensitively, so a file exported from Carnet (or edited in a spreadsheet
and re-imported) maps itself without a column mapping. Custom fields are extra columns
named after their key, handled by the import and export modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from resolvers.contacts.records import fold


class ContactColumn(StrEnum):
    KIND = "KIND"
    FIRST_NAME = "FIRST_NAME"
    LAST_NAME = "LAST_NAME"
    ORGANIZATION_NAME = "ORGANIZATION_NAME"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    BIRTH_DATE = "BIRTH_DATE"  # ISO 8601, YYYY-MM-DD
    LOCALE = "LOCALE"  # EN / FR
    ADDRESS_LINE1 = "ADDRESS_LINE1"
    ADDRESS_LINE2 = "ADDRESS_LINE2"
    CITY = "CITY"
    REGION = "REGION"
    POSTAL_CODE = "POSTAL_CODE"
    COUNTRY = "COUNTRY"  # ISO 3166-1 alpha-2
    NOTES = "NOTES"
    COLOUR = "COLOUR"  # a palette colour's name
    GROUPS = "GROUPS"  # group names separated by "|"
    EMAIL_CONSENT = "EMAIL_CONSENT"  # a ConsentStatus
    SMS_CONSENT = "SMS_CONSENT"
    DO_NOT_CONTACT = "DO_NOT_CONTACT"  # true/false, yes/no, oui/non, 1/0


@dataclass(frozen=True)
class ColumnInfo:
    column: ContactColumn
    header: str
    header_fr: str
    # The Contact model field it reads and writes; None for columns with their own logic
    # (colour, groups, consent).
    model_field: str | None


COLUMNS: tuple[ColumnInfo, ...] = (
    ColumnInfo(ContactColumn.KIND, "Kind", "Type", "kind"),
    ColumnInfo(ContactColumn.FIRST_NAME, "First name", "Prénom", "first_name"),
    ColumnInfo(ContactColumn.LAST_NAME, "Last name", "Nom", "last_name"),
    ColumnInfo(
        ContactColumn.ORGANIZATION_NAME,
        "Organization name",
        "Nom de l'organisme",
        "organization_name",
    ),
    ColumnInfo(ContactColumn.EMAIL, "Email", "Courriel", "email"),
    ColumnInfo(ContactColumn.PHONE, "Phone", "Téléphone", "phone"),
    ColumnInfo(ContactColumn.BIRTH_DATE, "Birth date", "Date de naissance", "birth_date"),
    ColumnInfo(ContactColumn.LOCALE, "Language", "Langue", "locale"),
    ColumnInfo(ContactColumn.ADDRESS_LINE1, "Address line 1", "Adresse ligne 1", "address_line1"),
    ColumnInfo(ContactColumn.ADDRESS_LINE2, "Address line 2", "Adresse ligne 2", "address_line2"),
    ColumnInfo(ContactColumn.CITY, "City", "Ville", "city"),
    ColumnInfo(ContactColumn.REGION, "Province or state", "Province ou État", "region"),
    ColumnInfo(ContactColumn.POSTAL_CODE, "Postal code", "Code postal", "postal_code"),
    ColumnInfo(ContactColumn.COUNTRY, "Country", "Pays", "country"),
    ColumnInfo(ContactColumn.NOTES, "Notes", "Notes", "notes"),
    ColumnInfo(ContactColumn.COLOUR, "Colour", "Couleur", None),
    ColumnInfo(ContactColumn.GROUPS, "Groups", "Groupes", None),
    ColumnInfo(ContactColumn.EMAIL_CONSENT, "Email consent", "Consentement courriel", None),
    ColumnInfo(ContactColumn.SMS_CONSENT, "SMS consent", "Consentement texto", None),
    ColumnInfo(
        ContactColumn.DO_NOT_CONTACT, "Do not contact", "Ne pas contacter", "do_not_contact"
    ),
)
BY_COLUMN = {info.column: info for info in COLUMNS}
GROUP_SEPARATOR = "|"


def header_key(header: str) -> str:
    """What headers are compared by: no accents, case, or punctuation and spacing."""
    return "".join(char for char in fold(header) if char.isalnum())


_BY_HEADER = {
    header_key(text): info.column
    for info in COLUMNS
    for text in (info.header, info.header_fr, info.column.value)
}


def column_for_header(header: str) -> ContactColumn | None:
    """The column a CSV header names ("Email", "Courriel", "EMAIL"), or None."""
    return _BY_HEADER.get(header_key(header))
