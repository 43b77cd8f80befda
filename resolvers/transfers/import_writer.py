"""Writing one chunk of an import's rows. A row matches an existing contact by normalized
email, else by phone (the one in the lists first, then the oldest), among the
organization's contacts and the rows before it in the same file. Unknown group names are
created (imports come from managers, who may create groups); an unknown colour is a row
error (a colour needs its code). Consent follows `import_consent`. `last_activity_at` is
left alone: being imported is not an interaction of the person's.
Custom-field answers follow `on_existing` like the contact's own fields (FILL_BLANKS only
answers questions not answered yet); their required rules are a form's, not an import's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from carnet.i18n import N_
from models.audit import AuditEvent
from models.colours import Colour
from models.contacts import (
    ConsentChannel,
    ConsentRecord,
    ConsentStatus,
    Contact,
    ContactKind,
    ContactSource,
)
from models.custom_fields import CustomField, CustomFieldAnswer
from models.groups import Group, GroupMember
from models.identity import User
from models.organizations import Organization
from models.transfers import ContactImport, ContactImportRowError, OnExisting
from resolvers.bulk.turns import Respeculate
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import UserErrorCode
from resolvers.common.relationships import tied_to_organization
from resolvers.common.rows import clone, insert
from resolvers.common.time import now
from resolvers.contacts import consent as consent_rules
from resolvers.contacts import links
from resolvers.contacts.records import fold, jsonable, refresh_derived
from resolvers.transfers import import_consent
from resolvers.transfers.csv_columns import ContactColumn
from resolvers.transfers.csv_records import CsvRecord
from resolvers.transfers.import_ids import new_contact_ids
from resolvers.transfers.import_matches import ChunkMatches
from resolvers.transfers.import_records import ChunkRecords
from resolvers.transfers.import_rows import ImportRow, RowProblem, parse_row

COUNTERS = ("processed_rows", "created_count", "updated_count", "error_count", "skipped_count")
# What became of a row (its bulk-operation item's reason code; the status follows it).
CREATED, UPDATED, UNCHANGED = "CREATED", "UPDATED", "UNCHANGED"
EXISTING, BLANK = "EXISTING", "BLANK"  # skipped: matched in SKIP mode; a blank row


class ChunkWriter(ChunkMatches, ChunkRecords):
    """Writes one chunk's rows set-based: the rows are decided in Python first (match,
    create, update, skip, row error), then each table gets a few statements for the whole
    chunk — new contacts in one insert (their ids taken beforehand, so everything that
    refers to them is built in the same pass), changed contacts in one update,
    memberships, consent records, custom-field answers, audit events and row errors each
    in one insert."""

    def __init__(
        self,
        state: ContactImport,
        organization: Organization,
        user: User | None,
        questions: dict[int, CustomField] | None = None,
    ):
        self.state, self.organization, self.user = state, organization, user
        self.mode = OnExisting(state.on_existing)
        self.columns = [
            (c["index"], c["column"], ContactColumn(c["field"]))
            for c in state.mapping.get("columns", [])
        ]
        self.header_of = {field: header for _, header, field in self.columns}
        # Custom-field columns whose question is still asked (archived since: ignored).
        questions = questions or {}
        self.custom = [
            (c["index"], c["column"], questions[c["field_id"]])
            for c in state.mapping.get("custom_fields", [])
            if c["field_id"] in questions
        ]
        self.questions = questions
        self.answers: dict[tuple[int, int], CustomFieldAnswer] = {}  # stored or pending
        self.new_answers: list[CustomFieldAnswer] = []
        self.changed_answers: dict[int, CustomFieldAnswer] = {}
        self.declared = {ConsentChannel(k): v for k, v in (state.consent or {}).items()}
        self.counts = dict.fromkeys(COUNTERS[1:], 0)
        # Row number -> CREATED, UPDATED, UNCHANGED, EXISTING, BLANK, or the first
        # problem's code (the row is not imported).
        self.outcomes: dict[int, str] = {}
        self.touched: set[int] = set()
        self.palette: dict[str, int] = {}
        self.groups: dict[str, Group] | None = None
        self.memberships: set[tuple[int, int]] = set()
        # Rows of the chunk's other tables, as raw values (`resolvers.common.rows`).
        self.new_memberships: list[dict[str, Any]] = []
        self.consent_records: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.row_errors: list[dict[str, Any]] = []
        self.to_link: list[Contact] = []
        self.by_email: dict[str, Contact] = {}
        self.by_phone: dict[str, Contact] = {}
        self.new_contacts: dict[int, Contact] = {}  # by id: inserted at the end of the chunk
        self.changed_contacts: dict[int, Contact] = {}  # stored ones, updated at the end
        self.changed_fields: set[str] = set()
        self.free_ids: list[int] = []  # ids taken for new contacts, not used yet
        self.template: Contact | None = None

    @classmethod
    async def for_import(cls, state: ContactImport) -> ChunkWriter:
        organization = await Organization.get(id=state.organization_id)
        user = await User.get_or_none(id=state.created_by_id) if state.created_by_id else None
        field_ids = [c["field_id"] for c in state.mapping.get("custom_fields", [])]
        questions = {}
        if field_ids:
            found = await CustomField.filter(
                id__in=field_ids, organization_id=organization.id, archived_at__isnull=True
            )
            questions = {q.id: q for q in found}
        writer = cls(state, organization, user, questions)
        if ContactColumn.COLOUR in writer.header_of:
            colours = await Colour.filter(organization_id=organization.id).values_list("name", "id")
            writer.palette = {fold(name): pk for name, pk in colours}
        return writer

    def parse(self, numbered: list[tuple[int, CsvRecord]]) -> list[ImportRow]:
        implied = {
            channel
            for channel, declared in self.declared.items()
            if declared["status"] == ConsentStatus.IMPLIED.value
        }
        return [
            parse_row(
                number, record, self.columns, self.organization, self.palette, implied, self.custom
            )
            for number, record in numbered
        ]

    async def write(
        self,
        rows: list[ImportRow],
        turn: Callable[[], Awaitable[None]] | None = None,
        alongside: bool = False,
    ) -> None:
        """Writes the chunk. `alongside`: the chunk before it may not have committed yet
        (two chunks of an import run at once on PostgreSQL), and `turn` waits until it
        has. A chunk whose rows are all new and name only existing groups then writes them
        first, and checks after its turn that no row matches a contact after all (one the
        chunk before it created: `Respeculate`); else it waits for its turn before it reads
        anything it depends on."""
        valid = [r for r in rows if not r.problems and not r.blank]
        ahead = alongside and not await self._load_matches(valid, lock=False)
        ahead = ahead and not await self._new_group_named(valid)
        if not ahead:
            if turn is not None:
                await turn()
            self._forget_matches()
            await self._load_matches(valid, lock=True)
            self.groups = None
        self.free_ids = await new_contact_ids(sum(1 for r in valid if self._match(r) is None))
        for row in rows:
            if row.blank:
                self.counts["skipped_count"] += 1
                self.outcomes[row.number] = BLANK
            elif row.problems or not await self._write_row(row):
                self.counts["error_count"] += 1
                self.outcomes[row.number] = row.problems[0].code.value
                self._errors(row)
        await self._save_contacts()
        await insert(GroupMember, self.new_memberships)
        await insert(ConsentRecord, self.consent_records)
        await CustomFieldAnswer.bulk_create(self.new_answers)
        if self.changed_answers:
            changed = list(self.changed_answers.values())
            for answer in changed:
                answer.updated_at = now()
            await CustomFieldAnswer.bulk_update(
                changed, fields=["content", "search_text", "updated_at"]
            )
        await insert(AuditEvent, self.events)
        await insert(ContactImportRowError, self.row_errors)
        if ahead and turn is not None:
            await turn()
            if await self._any_match(valid):
                raise Respeculate()
        await self._link_verified_users()

    def saved_contacts(self) -> list[Contact]:
        """The contacts this chunk created or changed, as written."""
        return [*self.new_contacts.values(), *self.changed_contacts.values()]

    def _errors(self, row: ImportRow) -> None:
        for problem in row.problems:
            self.row_errors.append(
                {
                    "contact_import_id": self.state.id,
                    "row": row.number,
                    "column": problem.column[:255],
                    "code": problem.code.value,
                    "message": problem.message,
                    "params": problem.params,
                }
            )

    async def _save_contacts(self) -> None:
        """The chunk's new contacts in one insert, with the ids taken for them; the stored
        contacts it changed in one update of the columns changed (the others are written
        back as they were read, under the rows' lock)."""
        at = now()
        stamped = {"created_at": at, "updated_at": at, "_saved_in_db": True}
        for contact in self.new_contacts.values():
            # As the attributes' assignment would (a clone waits for no async default).
            contact.__dict__.update(stamped)
        # A new contact's values are its instance's attributes (cloned from the template,
        # every column set): read from its __dict__, not copied out one by one.
        # Their ids were taken beforehand (`new_contact_ids`).
        await insert(
            Contact, [contact.__dict__ for contact in self.new_contacts.values()], with_id=True
        )
        if self.changed_contacts:
            at = now()
            for contact in self.changed_contacts.values():
                contact.updated_at = at
            await Contact.bulk_update(
                list(self.changed_contacts.values()),
                fields=sorted(self.changed_fields | {"updated_at"}),
            )

    async def _write_row(self, row: ImportRow) -> bool:
        """False when the row turns out invalid (its problem added to the row)."""
        match = self._match(row)
        if match is None:
            if not self._has_organization_name(row, None):
                return False
            await self._create(row)
            outcome = CREATED
        elif self.mode is OnExisting.SKIP:
            outcome = EXISTING
        elif not self._has_organization_name(row, match):
            return False
        else:
            outcome = UPDATED if await self._update(match, row) else UNCHANGED
        counter = {CREATED: "created_count", UPDATED: "updated_count"}.get(outcome)
        self.counts[counter or "skipped_count"] += 1
        self.outcomes[row.number] = outcome
        return True

    def _has_organization_name(self, row: ImportRow, contact: Contact | None) -> bool:
        kind = row.values.get("kind") if self._overwrites("kind", contact) else None
        kind = kind or (contact.kind if contact else ContactKind.PERSON)
        name = row.values.get("organization_name") or (contact and contact.organization_name)
        if kind is ContactKind.ORGANIZATION and not name:
            header = self.header_of.get(ContactColumn.ORGANIZATION_NAME, "")
            row.problems.append(
                RowProblem(header, UserErrorCode.REQUIRED, N_("This field is required."))
            )
            return False
        return True

    def _overwrites(self, name: str, contact: Contact | None) -> bool:
        if contact is None or self.mode is OnExisting.OVERWRITE:
            return True
        return name not in ("kind", "locale") and getattr(contact, name) in (None, "")

    async def _create(self, row: ImportRow) -> None:
        if self.template is None:  # a new contact's defaults, built once per chunk
            self.template = Contact(
                organization_id=self.organization.id,
                source=ContactSource.IMPORT,
                locale=self.organization.locale,
            )
        contact = clone(
            self.template, {"id": self.free_ids.pop(), "colour_id": row.colour_id, **row.values}
        )
        changes = import_consent.consent_changes(contact, row, self.declared)
        refresh_derived(contact)
        self.new_contacts[contact.id] = contact
        self._remember(contact)
        self.touched.add(contact.id)
        _, answers = self._answer(contact, row)
        self._event(
            "contact.create",
            contact,
            after=jsonable(
                {
                    "source": contact.source,
                    "row": row.number,
                    **row.values,
                    **({"custom_fields": answers} if answers else {}),
                }
            ),
        )
        self._record_consent(contact, changes)
        await self._add_to_groups(contact, row)
        if contact.email:
            self.to_link.append(contact)

    async def _update(self, contact: Contact, row: ImportRow) -> bool:
        changes: dict[str, Any] = {}
        for name, value in row.values.items():
            if name == "do_not_contact" and self.mode is OnExisting.FILL_BLANKS:
                if value and not contact.do_not_contact:  # a restriction always applies
                    changes[name] = True
            elif self._overwrites(name, contact) and getattr(contact, name) != value:
                changes[name] = value
        if row.colour_id and row.colour_id != contact.colour_id:
            if self.mode is OnExisting.OVERWRITE or contact.colour_id is None:
                changes["colour_id"] = row.colour_id
        before = {name: getattr(contact, name) for name in changes}
        contact.update_from_dict(changes)
        consent_changes = import_consent.consent_changes(contact, row, self.declared)
        fields = list(changes)
        if changes:
            refresh_derived(contact)
            fields += ["sort_name", "search_text"]
        for channel in consent_changes:
            fields += list(consent_rules._columns(channel))
        if fields:
            if contact.id not in self.new_contacts:  # a new one is inserted as it ends up
                self.changed_contacts[contact.id] = contact
                self.changed_fields.update(fields)
            self._remember(contact)
            self.touched.add(contact.id)
        answers_before, answers = self._answer(contact, row)
        if changes or answers:
            answered = ({"custom_fields": answers_before}, {"custom_fields": answers})
            self._event(
                "contact.update",
                contact,
                before=jsonable({**before, **(answered[0] if answers else {})}),
                after=jsonable({**changes, **(answered[1] if answers else {}), "row": row.number}),
            )
            if "email" in changes:
                self.to_link.append(contact)
        self._record_consent(contact, consent_changes)
        added = await self._add_to_groups(contact, row)
        return bool(changes or consent_changes or added or answers)

    async def _add_to_groups(self, contact: Contact, row: ImportRow) -> bool:
        added = False
        for name in row.groups:
            group = await self._group(name)
            if (contact.id, group.id) in self.memberships:
                continue
            self.memberships.add((contact.id, group.id))
            self.new_memberships.append({"group_id": group.id, "contact_id": contact.id})
            added = True
        return added

    async def _group(self, name: str) -> Group:
        await self._group_names()
        group = self.groups.get(fold(name))
        if group is None:
            group = await Group.create(organization_id=self.organization.id, name=name)
            self.groups[fold(name)] = group
            self._event(
                "group.create",
                group,
                after={"name": name, "description": "", "import_id": self.state.id},
                target_type="Group",
            )
        return group

    async def _link_verified_users(self) -> None:
        emails = {contact.email for contact in self.to_link}
        if not emails:
            return
        users = await User.filter(email__in=emails, email_verified_at__isnull=False, is_active=True)
        # Only users tied to the organization: an import tells no address's owner apart.
        tied = await tied_to_organization(self.organization.id, [user.id for user in users])
        by_email = {user.email: user for user in users if user.id in tied}
        for contact in self.to_link:
            user = by_email.get(contact.email)
            if user is not None:
                await links.auto_link(contact, self.user, RequestMeta(), user=user)
