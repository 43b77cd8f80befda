"""`messageTestSend`: a draft rendered for the sender themself and mailed to them only.

The sender's own name fills the contact variables. The mail goes through the outbox like
any transactional email (kind TRANSACTIONAL: it asks for no consent and reaches only the
caller), by the send_email job, which sends it once however many times it runs. It carries
the organization's name and postal address and the one-click unsubscribe headers, as the
real message will; its unsubscribe link is a sample that withdraws nobody's consent.
"""

from __future__ import annotations

from markupsafe import Markup

from carnet.i18n import N_
from carnet.settings import current_settings
from models.identity import Locale
from models.messaging import MessageChannel, MessageDraft, MessageKind, OutboxMessage
from models.organizations import Organization
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode
from resolvers.common.tasks import unit_of_work
from resolvers.messaging import email, templates, unsubscribe

TEMPLATE = "message_test"


def sample_unsubscribe_url() -> str:
    """Where a test mail's unsubscribe link points: the page, naming no contact."""
    base = current_settings().public_url.rstrip("/")
    return f"{base}/unsubscribe/{unsubscribe.SAMPLE_TOKEN}"


def postal_address(organization: Organization) -> list[str]:
    locality = " ".join(
        part for part in (organization.city, organization.region, organization.postal_code) if part
    )
    lines = (
        organization.legal_name if organization.legal_name != organization.name else "",
        organization.address_line1,
        organization.address_line2,
        locality,
        organization.country,
    )
    return [line for line in lines if line]


def _locale(draft: MessageDraft, *candidates: str | None) -> Locale | None:
    for candidate in (*candidates, *draft.contents):
        if candidate and candidate in draft.contents:
            return Locale(candidate)
    return None


async def send(actor: Actor, draft_id: int | None, locale: Locale | None) -> OutboxMessage:
    draft = None
    if draft_id is not None:
        draft = await MessageDraft.get_or_none(id=draft_id, organization_id=actor.organization_id)
    if draft is None:
        raise NotFound(("input", "draftId"))
    errors = ErrorCollector()
    if draft.channel != MessageChannel.EMAIL:
        errors.add(
            UserErrorCode.INVALID,
            ("input", "draftId"),
            N_("Only an email draft can be sent as a test for now."),
        )
    user = actor.user
    errors.raise_if_any()
    organization = await Organization.get(id=draft.organization_id)
    chosen = _locale(
        draft,
        locale.value if locale else None,
        user.locale.value if user.locale else None,
        organization.locale.value,
    )
    if chosen is None:
        errors.add(
            UserErrorCode.INVALID, ("input", "draftId"), N_("This draft has no content yet.")
        )
        errors.raise_if_any()
    unsubscribe_url = sample_unsubscribe_url()
    values = {
        "contact": {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "display_name": user.full_name or user.email,
        },
        "organization": {"name": organization.name},
        "unsubscribe_url": unsubscribe_url,
    }
    content = draft.contents[chosen.value]
    subject = templates.render(MessageChannel.EMAIL, "subject", content["subject"], values)
    body = templates.render(MessageChannel.EMAIL, "body", content["body"], values)
    async with unit_of_work():
        message = await email.queue_email(
            template=TEMPLATE,
            to=user.email,
            locale=chosen.value,
            organization_id=organization.id,
            kind=MessageKind.TRANSACTIONAL.value,
            subject=subject,
            body=body,
            text=Markup(body).striptags(),
            organization_name=organization.name,
            organization_address=postal_address(organization),
            unsubscribe_url=unsubscribe_url,
            list_unsubscribe=unsubscribe_url,
        )
        await audit.record(
            "message_draft.test_send",
            actor=user,
            meta=actor.meta,
            organization_id=organization.id,
            target=("MessageDraft", draft.id),
            after={"locale": chosen.value, "outbox_message_id": message.id},
        )
    return message
