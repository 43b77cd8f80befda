"""Group message drafts: sandboxed templates checked when saved, a preview per recipient in
their language, and the audience report by consent, all through the API."""

from datetime import timedelta

from carnet.statements import count_statements
from models.audit import AuditEvent
from models.contacts import ConsentStatus
from models.identity import Locale
from models.messaging import MessageDraft
from models.segments import Segment
from resolvers.common.time import now
from resolvers.messaging import unsubscribe
from tests.support.contacts import gid, new_contact

ERRORS = "errors { code field message }"
DRAFT = "draft { id channel kind target contents { locale subject body } }"
CREATE = f"""mutation($input: MessageDraftCreateInput!) {{
  messageDraftCreate(input: $input) {{ {DRAFT} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: MessageDraftUpdateInput!) {{
  messageDraftUpdate(input: $input) {{ {DRAFT} {ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!) {{
  messageDraftDelete(input: {{id: $id}}) {{ deletedDraftId {ERRORS} }} }}"""
PREVIEW = """query($id: ID!, $c: ID!) { messageDraft(id: $id) {
  preview(contactId: $c) { locale subject body } } }"""
REPORT = """query($id: ID!) { messageDraft(id: $id) {
  audienceReport { reaches skips { reason count } } } }"""
LIST = """query($o: ID!) { messageDrafts(organizationId: $o, first: 10) {
  edges { node { id channel } } } }"""
VARIABLES = """query($o: ID!) { messageTemplateVariables(organizationId: $o) {
  name description } }"""


def create_input(world, target, contents=None, channel="EMAIL"):
    return {
        "input": {
            "organizationId": world.org_gid,
            "channel": channel,
            "target": target,
            "contents": contents
            or [{"locale": "EN", "subject": "Hi", "body": "Hello {{ contact.first_name }}"}],
        }
    }


def content(body, subject="Hi", locale="EN"):
    return [{"locale": locale, "subject": subject, "body": body}]


async def test_a_draft_is_saved_changed_listed_and_deleted_with_an_audit_trail(api, world):
    agent = api.as_(world.agent)
    contact = await new_contact(world.organization, "Ada Lovelace")
    created = await agent.execute(
        CREATE,
        create_input(
            world,
            {"contactIds": [gid(contact)]},
            [
                {"locale": "EN", "subject": "News", "body": "Hello {{ contact.first_name }}"},
                {
                    "locale": "FR",
                    "subject": "Nouvelles",
                    "body": "Bonjour {{ contact.first_name }}",
                },
            ],
        ),
    )
    draft = created.ok("messageDraftCreate")["draft"]
    assert (draft["channel"], draft["kind"]) == ("EMAIL", "MARKETING")
    assert draft["target"] == {"contact_ids": [contact.id]}
    assert [c["locale"] for c in draft["contents"]] == ["EN", "FR"]
    changed = await agent.execute(
        UPDATE,
        {"input": {"id": draft["id"], "channel": "SMS", "target": {"search": "lovelace"}}},
    )
    updated = changed.ok("messageDraftUpdate")["draft"]
    assert updated["channel"] == "SMS"
    assert updated["target"]["search"] == "lovelace"
    assert [c["subject"] for c in updated["contents"]] == ["", ""]  # an SMS has no subject
    listed = await agent.execute(LIST, {"o": world.org_gid})
    assert [e["node"]["id"] for e in listed.data["messageDrafts"]["edges"]] == [draft["id"]]
    deleted = await agent.execute(DELETE, {"id": draft["id"]})
    assert deleted.ok("messageDraftDelete")["deletedDraftId"] == draft["id"]
    assert not await MessageDraft.exists()
    actions = await AuditEvent.filter(action__startswith="message_draft.").order_by("id")
    assert [a.action for a in actions] == [
        "message_draft.create",
        "message_draft.update",
        "message_draft.delete",
    ]


async def test_bad_templates_are_refused_with_their_field_and_nothing_is_written(api, world):
    agent = api.as_(world.agent)
    contact = await new_contact(world.organization)
    target = {"contactIds": [gid(contact)]}
    cases = [
        ("Hello {{ contact.first_name ", "TEMPLATE_INVALID"),
        ("{% for x in %}{% endfor %}", "TEMPLATE_INVALID"),
        ("Hello {{ contact.nickname }}", "UNKNOWN_VARIABLE"),
        ("Hello {{ password }}", "UNKNOWN_VARIABLE"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "TEMPLATE_INVALID"),
        ("{{ contact.__class__ }}", "TEMPLATE_INVALID"),
        ("{{ ''.__class__ }}", "TEMPLATE_INVALID"),
        ('{{ contact.first_name|attr("__class__") }}', "TEMPLATE_INVALID"),
        # What could run for minutes or fill the memory when saved or sent.
        ("{{ 9**9**9 }}", "TEMPLATE_INVALID"),
        ('{{ "x" * 999999999 }}', "TEMPLATE_INVALID"),
        ('{{ "%999999999d" % 1 }}', "TEMPLATE_INVALID"),
        ('{{ "x".center(999999999) }}', "TEMPLATE_INVALID"),
        (
            "{% for a in range(99999) %}{% for b in range(99999) %}x{% endfor %}{% endfor %}",
            "TEMPLATE_INVALID",
        ),
        # A contact's name stays escaped in an HTML email.
        ("{{ contact.first_name|safe }}", "TEMPLATE_INVALID"),
    ]
    for body, code in cases:
        result = await agent.execute(CREATE, create_input(world, target, content(body)))
        errors = result.payload("messageDraftCreate")["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [
            (code, ["input", "contents", 0, "body"])
        ], body
    french = await agent.with_headers(**{"accept-language": "fr"}).execute(
        CREATE, create_input(world, target, content("{{ inconnu }}", subject="{{ x"))
    )
    errors = french.payload("messageDraftCreate")["errors"]
    assert {e["code"] for e in errors} == {"TEMPLATE_INVALID", "UNKNOWN_VARIABLE"}
    assert all("modèle" in e["message"] for e in errors), errors
    # Our own French words, naming the variable; not Jinja's English "is undefined".
    [unknown] = [e["message"] for e in errors if e["code"] == "UNKNOWN_VARIABLE"]
    assert "« inconnu »" in unknown and "undefined" not in unknown, unknown
    nested = await agent.with_headers(**{"accept-language": "fr"}).execute(
        CREATE, create_input(world, target, content("Hi {{ contact.nickname }}"))
    )
    [error] = nested.payload("messageDraftCreate")["errors"]
    assert "contact.nickname" in error["message"] and "attribute" not in error["message"]
    assert not await MessageDraft.exists()
    fine = "{% if contact.first_name %}Dear {{ contact.first_name|title }}{% endif %} {{ 6 * 7 }}"
    allowed = await agent.execute(CREATE, create_input(world, target, content(fine)))
    assert allowed.ok("messageDraftCreate")
    await MessageDraft.all().delete()
    draft = (await agent.execute(CREATE, create_input(world, target))).ok("messageDraftCreate")
    refused = await agent.execute(
        UPDATE, {"input": {"id": draft["draft"]["id"], "contents": content("{{ nope }}")}}
    )
    assert refused.payload_codes("messageDraftUpdate") == ["UNKNOWN_VARIABLE"]
    kept = await MessageDraft.get()
    assert kept.contents["en"]["body"] == "Hello {{ contact.first_name }}"


async def test_an_email_needs_a_subject_and_languages_are_not_given_twice(api, world):
    agent = api.as_(world.agent)
    contact = await new_contact(world.organization)
    target = {"contactIds": [gid(contact)]}
    result = await agent.execute(
        CREATE,
        create_input(
            world,
            target,
            [
                {"locale": "EN", "subject": "", "body": "Hi"},
                {"locale": "EN", "subject": "x", "body": "Hi"},
            ],
        ),
    )
    errors = result.payload("messageDraftCreate")["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("REQUIRED", ["input", "contents", 0, "subject"]),
        ("DUPLICATE", ["input", "contents", 1, "locale"]),
    ]
    empty = await agent.execute(
        CREATE, {"input": {**create_input(world, target)["input"], "contents": []}}
    )
    assert empty.payload_codes("messageDraftCreate") == ["REQUIRED"]
    sms = await agent.execute(
        CREATE, create_input(world, target, content("Hi", subject=""), channel="SMS")
    )
    assert sms.ok("messageDraftCreate")["draft"]["channel"] == "SMS"


async def test_the_preview_is_in_the_recipients_language_and_escapes_html(api, world):
    agent = api.as_(world.agent)
    english = await new_contact(world.organization, "Ada <b>Lovelace</b>")
    french = await new_contact(world.organization, "Émile Zola")
    french.locale = Locale.FR
    await french.save()
    draft = (
        await agent.execute(
            CREATE,
            create_input(
                world,
                {"contactIds": [gid(english), gid(french)]},
                [
                    {
                        "locale": "EN",
                        "subject": "News for {{ contact.display_name }}",
                        "body": "<p>Hello {{ contact.display_name }}</p>"
                        '<a href="{{ unsubscribe_url }}">stop</a>',
                    },
                    {
                        "locale": "FR",
                        "subject": "Nouvelles de {{ organization.name }}",
                        "body": "<p>Bonjour {{ contact.first_name }}</p>",
                    },
                ],
            ),
        )
    ).ok("messageDraftCreate")["draft"]
    shown = await agent.execute(PREVIEW, {"id": draft["id"], "c": gid(english)})
    preview = shown.payload("messageDraft")["preview"]
    assert preview["locale"] == "EN"
    assert preview["subject"] == "News for Ada <b>Lovelace</b>"  # a subject is text
    # The contact's own signed unsubscribe link (tests/messaging_unsubscribe uses it).
    link = unsubscribe.url_for(world.organization.id, english.id)
    assert "/unsubscribe/" in link
    assert preview["body"] == (
        f'<p>Hello Ada &lt;b&gt;Lovelace&lt;/b&gt;</p><a href="{link}">stop</a>'
    )
    shown = await agent.execute(PREVIEW, {"id": draft["id"], "c": gid(french)})
    assert shown.payload("messageDraft")["preview"] == {
        "locale": "FR",
        "subject": "Nouvelles de Club Alpha",
        "body": "<p>Bonjour Émile</p>",
    }
    # Only English given: a French contact gets the English (the organization's language).
    english_only = (
        await agent.execute(
            CREATE,
            create_input(
                world, {"contactIds": [gid(french)]}, content("Hi {{ contact.first_name }}")
            ),
        )
    ).ok("messageDraftCreate")["draft"]
    shown = await agent.execute(PREVIEW, {"id": english_only["id"], "c": gid(french)})
    assert shown.payload("messageDraft")["preview"]["body"] == "Hi Émile"


async def test_another_organizations_contact_or_segment_is_not_found(api, world):
    agent = api.as_(world.agent)
    ours = await new_contact(world.organization)
    theirs = await new_contact(world.other_organization)
    segment = await Segment.create(
        organization=world.other_organization, name="Theirs", name_key="theirs"
    )
    draft = (await agent.execute(CREATE, create_input(world, {"contactIds": [gid(ours)]}))).ok(
        "messageDraftCreate"
    )["draft"]
    shown = await agent.execute(PREVIEW, {"id": draft["id"], "c": gid(theirs)})
    assert shown.error_codes == ["NOT_FOUND"]
    refused = await agent.execute(CREATE, create_input(world, {"contactIds": [gid(theirs)]}))
    assert refused.payload_codes("messageDraftCreate") == ["NOT_FOUND"]
    from schema import ids

    other_segment = ids.encode("Segment", segment.id)
    refused = await agent.execute(CREATE, create_input(world, {"segmentId": other_segment}))
    assert refused.payload_codes("messageDraftCreate") == ["NOT_FOUND"]
    outsider = api.as_(world.outsider)
    assert (await outsider.execute(REPORT, {"id": draft["id"]})).error_codes == ["NOT_FOUND"]
    assert await MessageDraft.filter().count() == 1


async def _audience(world, size):
    """`size` contacts of each kind: reached, and skipped for each reason on EMAIL."""
    made = []
    for _ in range(size):
        reached = await new_contact(world.organization)
        reached.email, reached.email_consent = f"r{reached.id}@x.test", ConsentStatus.EXPRESS
        implied = await new_contact(world.organization)
        implied.email, implied.email_consent = f"i{implied.id}@x.test", ConsentStatus.IMPLIED
        implied.email_consent_expires_at = now() + timedelta(days=30)
        expired = await new_contact(world.organization)
        expired.email, expired.email_consent = f"e{expired.id}@x.test", ConsentStatus.IMPLIED
        expired.email_consent_expires_at = now() - timedelta(days=1)
        withdrawn = await new_contact(world.organization)
        withdrawn.email, withdrawn.email_consent = (
            f"w{withdrawn.id}@x.test",
            ConsentStatus.WITHDRAWN,
        )
        never = await new_contact(world.organization)
        never.email = f"n{never.id}@x.test"
        no_email = await new_contact(world.organization)
        no_email.email_consent = ConsentStatus.EXPRESS
        blocked = await new_contact(world.organization)
        blocked.email, blocked.email_consent = f"b{blocked.id}@x.test", ConsentStatus.EXPRESS
        blocked.do_not_contact = True
        archived = await new_contact(world.organization, archived=True)
        for contact in (reached, implied, expired, withdrawn, never, no_email, blocked):
            await contact.save()
        made += [reached, implied, expired, withdrawn, never, no_email, blocked, archived]
    return made


async def test_the_audience_report_counts_by_reason_in_a_fixed_number_of_statements(api, world):
    agent = api.as_(world.agent)
    statements = []
    for size in (1, 3):
        contacts = await _audience(world, size)
        draft = (
            await agent.execute(
                CREATE, create_input(world, {"contactIds": [gid(c) for c in contacts]})
            )
        ).ok("messageDraftCreate")["draft"]
        with count_statements() as counted:
            result = await agent.execute(REPORT, {"id": draft["id"]})
        statements.append(len(counted))
        report = result.payload("messageDraft")["audienceReport"]
        assert report["reaches"] == 2 * size
        assert {s["reason"]: s["count"] for s in report["skips"]} == {
            "ARCHIVED": size,
            "DO_NOT_CONTACT": size,
            "NO_EMAIL": size,
            "WITHDRAWN": size,
            "IMPLIED_EXPIRED": size,
            "NO_CONSENT": size,
        }
        sms = await agent.execute(UPDATE, {"input": {"id": draft["id"], "channel": "SMS"}})
        assert sms.ok("messageDraftUpdate")
        report = (await agent.execute(REPORT, {"id": draft["id"]})).payload("messageDraft")
        skips = {s["reason"]: s["count"] for s in report["audienceReport"]["skips"]}
        assert report["audienceReport"]["reaches"] == 0
        assert skips == {"ARCHIVED": size, "DO_NOT_CONTACT": size, "NO_PHONE": 6 * size}
        await MessageDraft.all().delete()
    assert statements[0] == statements[1]


async def test_the_report_of_a_search_follows_the_contacts_filter(api, world):
    agent = api.as_(world.agent)
    await _audience(world, 2)
    draft = (
        await agent.execute(CREATE, create_input(world, {"filter": {"marketingAllowed": "EMAIL"}}))
    ).ok("messageDraftCreate")["draft"]
    report = (await agent.execute(REPORT, {"id": draft["id"]})).payload("messageDraft")
    assert report["audienceReport"] == {"reaches": 4, "skips": []}
    internal = await agent.execute(
        UPDATE, {"input": {"id": draft["id"], "channel": "INTERNAL", "target": {"search": ""}}}
    )
    assert internal.ok("messageDraftUpdate")
    report = (await agent.execute(REPORT, {"id": draft["id"]})).payload("messageDraft")
    # Archived contacts are not in a search; nobody here is a user.
    assert report["audienceReport"] == {
        "reaches": 0,
        "skips": [{"reason": "DO_NOT_CONTACT", "count": 2}, {"reason": "NOT_A_USER", "count": 12}],
    }


async def test_the_template_variables_are_listed_in_the_callers_language(api, world):
    french = api.as_(world.agent).with_headers(**{"accept-language": "fr"})
    result = await french.execute(VARIABLES, {"o": world.org_gid})
    variables = result.payload("messageTemplateVariables")
    assert [v["name"] for v in variables] == [
        "contact.first_name",
        "contact.last_name",
        "contact.display_name",
        "organization.name",
        "unsubscribe_url",
    ]
    assert variables[0]["description"] == "Le prénom du destinataire."
