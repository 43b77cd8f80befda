"""Group message drafts: a channel, an audience (a segment, chosen contacts, or a search and
filter, as a bulk operation's target) and a subject and body per locale as sandboxed
templates (resolvers.messaging.templates), checked when saved. Nothing is sent from here.

Drafts are marketing: the audience report counts who the message would reach and why the
others would be skipped, by consent, in SQL (resolvers.messaging.audience).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from carnet.i18n import N_
from models.identity import Locale
from models.messaging import MessageChannel, MessageDraft, MessageKind
from models.organizations import Organization
from resolvers.bulk.contact_targets import ContactTarget, records
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode
from resolvers.common.locks import locked_row
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text
from resolvers.contacts.records import contact_in, display_name
from resolvers.contacts.search import ContactFilter
from resolvers.contacts.stored_filters import filter_from_json, filter_to_json
from resolvers.messaging import sms_length, templates, unsubscribe

SUBJECT_MAX_LENGTH = 255
BODY_MAX_LENGTH = 20_000
CONTENTS_FIELD = ("input", "contents")


@dataclass(frozen=True)
class DraftContent:
    locale: Locale
    subject: str
    body: str


@dataclass(frozen=True)
class Preview:
    locale: Locale
    subject: str
    body: str
    sms: sms_length.SmsLength | None = None  # SMS: the text sent, STOP wording included


@dataclass(frozen=True)
class SmsWarning:
    locale: Locale
    length: sms_length.SmsLength


def _sample_sms(body: str, locale: str) -> sms_length.SmsLength:
    """The SMS's length rendered with the sample values (a recipient's may differ a little)."""
    text = templates.render(MessageChannel.SMS, "body", body, templates.SAMPLE)
    return sms_length.measure(sms_length.with_stop(text, locale))


def _check_sms_length(
    body: str, locale: str, errors: ErrorCollector, path: tuple
) -> None:
    if any(error.field == path for error in errors.errors):
        return  # the template itself is wrong: said already
    length = _sample_sms(body, locale)
    limit = sms_length.max_segments()
    if length.segments > limit:
        errors.add(
            UserErrorCode.SMS_TOO_LONG,
            path,
            N_("This SMS takes {segments} segments; at most {limit} are allowed."),
            segments=length.segments,
            limit=limit,
        )


def sms_warnings(draft: MessageDraft) -> list[SmsWarning]:
    """Each language of an SMS draft that takes more than one segment (each one billed)."""
    if MessageChannel(draft.channel) is not MessageChannel.SMS:
        return []
    found = []
    for key, content in sorted(draft.contents.items()):
        try:
            length = _sample_sms(content["body"], key)
        except Exception:  # a stored template that no longer renders: not this warning's job
            continue
        if length.segments > 1:
            found.append(SmsWarning(Locale(key), length))
    return found


def audience_to_json(target: ContactTarget) -> dict[str, Any]:
    if target.segment_id is not None:
        return {"segment_id": target.segment_id}
    if target.contact_ids is not None:
        return {"contact_ids": sorted(set(target.contact_ids))}
    filters = target.filters or ContactFilter()
    return {"search": filters.search or "", "filter": filter_to_json(replace(filters, search=None))}


def audience_from_json(stored: dict[str, Any]) -> ContactTarget:
    if "segment_id" in stored:
        return ContactTarget(segment_id=stored["segment_id"])
    if "contact_ids" in stored:
        return ContactTarget(contact_ids=list(stored["contact_ids"]))
    filters = filter_from_json(stored.get("filter") or {})
    return ContactTarget(filters=replace(filters, search=stored.get("search") or None))


def _clean_contents(
    channel: MessageChannel, contents: list[DraftContent], errors: ErrorCollector
) -> dict[str, dict[str, str]]:
    """The contents to store, each template checked; errors on the input's paths."""
    if not contents:
        errors.add(
            UserErrorCode.REQUIRED, CONTENTS_FIELD, N_("Give the message in at least one language.")
        )
    cleaned: dict[str, dict[str, str]] = {}
    for index, content in enumerate(contents):
        path = (*CONTENTS_FIELD, index)
        locale = Locale(content.locale)
        if locale.value in cleaned:
            errors.add(
                UserErrorCode.DUPLICATE,
                (*path, "locale"),
                N_("This language is given twice."),
            )
            continue
        subject = clean_text(
            content.subject,
            errors,
            (*path, "subject"),
            max_length=SUBJECT_MAX_LENGTH,
            required=channel is MessageChannel.EMAIL,
        )
        if channel is MessageChannel.SMS:
            subject = ""  # an SMS has no subject
        body = clean_text(
            content.body,
            errors,
            (*path, "body"),
            max_length=BODY_MAX_LENGTH,
            required=True,
            multiline=True,
        )
        if subject:
            templates.check(channel, "subject", subject, errors, (*path, "subject"))
        if body:
            templates.check(channel, "body", body, errors, (*path, "body"))
            if channel is MessageChannel.SMS:
                _check_sms_length(body, locale.value, errors, (*path, "body"))
        cleaned[locale.value] = {"subject": subject, "body": body}
    return cleaned


def snapshot(draft: MessageDraft) -> dict[str, Any]:
    return {"channel": draft.channel.value, "audience": draft.audience, "contents": draft.contents}


async def _checked_audience(actor: Actor, target: ContactTarget) -> dict[str, Any]:
    await records(actor, target)  # NOT_FOUND / INVALID on input.target, as bulk operations
    return audience_to_json(target)


async def create(
    actor: Actor,
    channel: MessageChannel,
    target: ContactTarget,
    contents: list[DraftContent],
) -> MessageDraft:
    errors = ErrorCollector()
    stored_contents = _clean_contents(channel, contents, errors)
    errors.raise_if_any()
    audience = await _checked_audience(actor, target)
    async with unit_of_work():
        draft = await MessageDraft.create(
            organization_id=actor.organization_id,
            channel=channel,
            kind=MessageKind.MARKETING,
            audience=audience,
            contents=stored_contents,
            created_by=actor.user,
        )
        await audit.record(
            "message_draft.create",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("MessageDraft", draft.id),
            after=snapshot(draft),
        )
    return draft


async def update(
    actor: Actor,
    draft_id: int | None,
    channel: MessageChannel | None,
    target: ContactTarget | None,
    contents: list[DraftContent] | None,
) -> MessageDraft:
    """Only what is given changes; new contents replace all of them. The templates are
    checked again against the (new) channel."""
    audience = await _checked_audience(actor, target) if target is not None else None
    async with unit_of_work():
        draft = await locked_row(MessageDraft, actor, draft_id, ("input", "id"))
        before = snapshot(draft)
        new_channel = channel or draft.channel
        errors = ErrorCollector()
        if contents is not None:
            draft.contents = _clean_contents(new_channel, contents, errors)
        elif channel is not None and channel is not draft.channel:
            given = [
                DraftContent(Locale(key), value["subject"], value["body"])
                for key, value in draft.contents.items()
            ]
            draft.contents = _clean_contents(new_channel, given, errors)
        errors.raise_if_any()
        draft.channel = new_channel
        if audience is not None:
            draft.audience = audience
        changed_before, changed_after = audit.changes(before, snapshot(draft))
        if not changed_after:
            return draft
        await draft.save()
        await audit.record(
            "message_draft.update",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("MessageDraft", draft.id),
            before=changed_before,
            after=changed_after,
        )
    return draft


async def delete(actor: Actor, draft_id: int | None) -> int:
    async with unit_of_work():
        draft = await locked_row(MessageDraft, actor, draft_id, ("input", "id"))
        deleted_id = draft.id
        await draft.delete()
        await audit.record(
            "message_draft.delete",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("MessageDraft", deleted_id),
            before=snapshot(draft),
        )
    return deleted_id


async def draft(actor: Actor, draft_id: int | None) -> MessageDraft:
    found = None
    if draft_id is not None:
        found = await MessageDraft.get_or_none(id=draft_id, organization_id=actor.organization_id)
    if found is None:
        raise NotFound(("id",))
    return found


async def drafts(actor: Actor, **page_args) -> Page:
    qs = MessageDraft.filter(organization_id=actor.organization_id)
    return await paginate(qs, order=("-created_at", "-id"), **page_args)


async def preview(actor: Actor, draft: MessageDraft, contact_id: int | None) -> Preview:
    """The message as this contact would get it: in their language when the draft has it,
    else the organization's, else the draft's first."""
    contact = await contact_in(actor, contact_id, ("contactId",))
    organization = await Organization.get(id=draft.organization_id)
    locale = next(
        (
            candidate
            for candidate in (contact.locale, organization.locale, *map(Locale, draft.contents))
            if candidate.value in draft.contents
        ),
        None,
    )
    if locale is None:
        return Preview(Locale(contact.locale), "", "")
    values = {
        "contact": {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "display_name": display_name(contact),
        },
        "organization": {"name": organization.name},
        "unsubscribe_url": unsubscribe.url_for(draft.organization_id, contact.id),
    }
    content = draft.contents[locale.value]
    channel = MessageChannel(draft.channel)
    subject = templates.render(channel, "subject", content["subject"], values)
    body = templates.render(channel, "body", content["body"], values)
    if channel is MessageChannel.SMS:
        sent = sms_length.with_stop(body, locale.value)
        return Preview(locale, subject, body, sms_length.measure(sent))
    return Preview(locale, subject, body)
