"""How one chunk of an import finds the contacts its rows match (by normalized email, else
by phone: the one in the lists first, then the oldest, archived ones last) and the groups
they name; and, for a chunk run beside the one before it (`ChunkWriter.write`), whether it
may write before its turn."""

from __future__ import annotations

from tortoise.expressions import Q

from models.contacts import Contact
from models.custom_fields import CustomField, CustomFieldAnswer
from models.groups import Group, GroupMember
from models.organizations import Organization
from models.transfers import OnExisting
from resolvers.common.sql import one_of
from resolvers.contacts.records import fold
from resolvers.transfers.import_rows import ImportRow


class ChunkMatches:
    """The chunk writer's lookups (`ChunkWriter` holds the state they fill)."""

    organization: Organization
    mode: OnExisting
    custom: list
    questions: dict[int, CustomField]
    answers: dict[tuple[int, int], CustomFieldAnswer]
    by_email: dict[str, Contact]
    by_phone: dict[str, Contact]
    memberships: set[tuple[int, int]]
    groups: dict[str, Group] | None
    new_contacts: dict[int, Contact]

    def _conditions(self, rows: list[ImportRow]) -> list[Q]:
        emails = {r.values["email"] for r in rows if r.values.get("email")}
        phones = {r.values["phone"] for r in rows if r.values.get("phone")}
        conditions = [one_of("email", emails)] if emails else []
        return conditions + ([one_of("phone", phones)] if phones else [])

    async def _any_match(self, rows: list[ImportRow]) -> bool:
        """Whether a contact other than the chunk's new ones has a row's email or phone."""
        mine = Contact.filter(organization_id=self.organization.id)
        new_ids = one_of("id", list(self.new_contacts))
        for condition in self._conditions(rows):
            others = mine.filter(condition)
            if await (others.exclude(new_ids) if self.new_contacts else others).exists():
                return True
        return False

    async def _new_group_named(self, rows: list[ImportRow]) -> bool:
        names = {fold(name) for row in rows for name in row.groups}
        if not names:
            return False
        await self._group_names()
        return not names <= set(self.groups)

    def _forget_matches(self) -> None:
        self.by_email.clear()
        self.by_phone.clear()
        self.memberships = set()
        self.answers.clear()

    async def _load_matches(self, rows: list[ImportRow], lock: bool = True) -> bool:
        """Reads the contacts the rows match (locked, unless only looking); whether any."""
        conditions = self._conditions(rows)
        if not conditions:
            return False
        # One query per condition, each on its own index (ORed, PostgreSQL may scan the
        # whole organization instead while an import grows it faster than its statistics).
        by_id: dict[int, Contact] = {}
        for condition in conditions:
            mine = Contact.filter(condition, organization_id=self.organization.id)
            if lock:
                mine = mine.select_for_update()
            for contact in await mine.order_by("id"):
                by_id.setdefault(contact.id, contact)
        if not lock:
            return bool(by_id)
        found = [by_id[pk] for pk in sorted(by_id)]
        # The oldest contact in the lists wins, archived ones last.
        for contact in sorted(found, key=lambda c: (c.archived_at is not None, c.id)):
            self._remember(contact)
        if any(r.groups for r in rows) and found:
            pairs = await GroupMember.filter(contact_id__in=[c.id for c in found]).values_list(
                "contact_id", "group_id"
            )
            self.memberships = set(pairs)
        if self.custom and found and self.mode is not OnExisting.SKIP:
            stored = await CustomFieldAnswer.filter(
                contact_id__in=[c.id for c in found], field_id__in=list(self.questions)
            )
            for answer in stored:
                self.answers[(answer.contact_id, answer.field_id)] = answer
        return bool(found)

    def _remember(self, contact: Contact) -> None:
        if contact.email:
            self.by_email.setdefault(contact.email, contact)
        if contact.phone:
            self.by_phone.setdefault(contact.phone, contact)

    def _match(self, row: ImportRow) -> Contact | None:
        email, phone = row.values.get("email"), row.values.get("phone")
        return (email and self.by_email.get(email)) or (phone and self.by_phone.get(phone)) or None

    async def _group_names(self) -> None:
        if self.groups is None:
            existing = await Group.filter(organization_id=self.organization.id)
            self.groups = {fold(group.name): group for group in existing}
