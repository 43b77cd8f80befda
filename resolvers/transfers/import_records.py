"""What one chunk of an import records besides its contacts: custom-field answers, consent
records and audit events, built in Python as raw rows and inserted by
`import_writer.ChunkWriter`, set-based (`resolvers.common.rows`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from models.contacts import ConsentChannel, Contact
from models.custom_fields import CustomField, CustomFieldAnswer
from models.identity import User
from models.organizations import Organization
from models.transfers import ContactImport, OnExisting
from resolvers.contacts import consent as consent_rules
from resolvers.custom_fields.answers import stored_answer
from resolvers.transfers.import_rows import ImportRow
from resolvers.transfers.imports import CONSENT_SOURCE


class ChunkRecords:
    """The chunk writer's record builders (`ChunkWriter` holds the state they fill)."""

    state: ContactImport
    organization: Organization
    user: User | None
    mode: OnExisting
    questions: dict[int, CustomField]
    answers: dict[tuple[int, int], CustomFieldAnswer]
    new_answers: list[CustomFieldAnswer]
    changed_answers: dict[int, CustomFieldAnswer]
    declared: dict[ConsentChannel, Any]
    consent_records: list[dict[str, Any]]  # ConsentRecord rows, as raw values
    events: list[dict[str, Any]]  # AuditEvent rows, as raw values

    def _answer(self, contact: Contact, row: ImportRow) -> tuple[dict, dict]:
        """Queues the row's answers for the contact (all of them when OVERWRITE, else only
        questions not answered yet); returns the answers replaced and given, by key."""
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for field_id, value in row.answers.items():
            question = self.questions[field_id]
            answer = self.answers.get((contact.id, field_id))
            if answer is None:
                answer = CustomFieldAnswer(
                    contact_id=contact.id,
                    field_id=field_id,
                    **stored_answer(question.type, value),
                )
                self.answers[(contact.id, field_id)] = answer
                self.new_answers.append(answer)
                before[question.key] = None
            elif self.mode is OnExisting.OVERWRITE and answer.value != value:
                before[question.key] = answer.value
                answer.update_from_dict(stored_answer(question.type, value))
                if answer.id is not None:
                    self.changed_answers[answer.id] = answer
            else:
                continue
            after[question.key] = value
        return before, after

    def _record_consent(self, contact: Contact, changes: dict[ConsentChannel, Any]) -> None:
        for channel, ((before_status, before_expiry), status, expires_at) in changes.items():
            declared = self.declared.get(channel) or {}
            self.consent_records.append(
                {
                    "contact_id": contact.id,
                    "channel": channel,
                    "status": status,
                    "source": CONSENT_SOURCE,
                    "proof": declared.get("proof", ""),
                    "expires_at": expires_at,
                    "recorded_by_id": self.user.id if self.user else None,
                }
            )
            self._event(
                "contact.consent_set",
                contact,
                **_consent_audit(channel, (before_status, before_expiry), (status, expires_at)),
            )

    def _event(self, action: str, record, *, before=None, after=None, target_type="Contact"):
        self.events.append(
            {
                "organization_id": self.organization.id,
                "actor_id": self.user.id if self.user else None,
                "action": action,
                "target_type": target_type,
                "target_id": str(record.id),
                "before": before,
                "after": {**(after or {}), "import_id": self.state.id},
            }
        )


@lru_cache(maxsize=256)
def _consent_audit(channel: ConsentChannel, before: tuple, after: tuple) -> dict[str, dict]:
    """The consent event's before/after: the same few for most rows of a file (read only:
    the event's row is encoded from it)."""
    return consent_rules.change_audit(channel, before, after, CONSENT_SOURCE)
