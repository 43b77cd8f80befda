"""The contacts list: one search box, typed filters, sorting and keyset pages."""

from datetime import UTC, date, datetime, timedelta

import pytest

from models.affiliations import Affiliation
from models.colours import Colour
from models.contacts import Contact, ContactKind
from models.groups import Group, GroupMember
from resolvers.common.time import today_in
from resolvers.contacts.contacts import years_before
from schema import ids
from tests.contacts.contact_flows import LIST, create, gid, make_contact, names

COUNTED = """query($o: ID!, $search: String, $filter: ContactFilterInput) {
  contacts(organizationId: $o, search: $search, filter: $filter, first: 50) {
    totalCount edges { node { displayName } } } }"""


async def listed(api, world, **variables) -> list[str]:
    result = await api.as_(world.viewer).execute(LIST, {"o": world.org_gid, **variables})
    return sorted(names(result))


async def test_the_search_box_ignores_accents_and_case(api, world):
    await create(api, world, firstName="Marie", lastName="Dèsjardins", email="m@example.test")
    await create(api, world, firstName="Paul", lastName="DESJARDINS")
    await create(api, world, firstName="Luc", lastName="Tremblay", email="luc.t@example.test")
    assert await listed(api, world, search="desjardins") == ["Marie Dèsjardins", "Paul DESJARDINS"]
    assert await listed(api, world, search="Dèsjardins") == ["Marie Dèsjardins", "Paul DESJARDINS"]
    assert await listed(api, world, search="DÉSJARDINS marie") == ["Marie Dèsjardins"]
    assert await listed(api, world, search="LUC.T@example") == ["Luc Tremblay"]
    assert await listed(api, world, search="  ") == [
        "Luc Tremblay",
        "Marie Dèsjardins",
        "Paul DESJARDINS",
    ]
    assert await listed(api, world, search="100%") == []  # LIKE wildcards are literal
    assert await listed(api, world, search="_") == []


async def test_a_phone_number_is_found_however_it_is_typed(api, world):
    await create(api, world, firstName="Phone", phone="514-555-0123")
    await create(api, world, firstName="Paris", phone="+33 6 12 34 56 78")
    for typed in ("(514) 555-0123", "+1 514 555 0123", "5145550123", "555.0123", "1-514-555"):
        assert await listed(api, world, search=typed) == ["Phone"], typed
    assert await listed(api, world, search="06 12 34 56 78") == ["Paris"]
    assert await listed(api, world, search="phone 555-0123") == ["Phone"]


async def test_an_organization_contact_is_found_by_its_name(api, world):
    await create(api, world, kind="ORGANIZATION", organizationName="École Sainte-Anne")
    assert await listed(api, world, search="ecole sainte") == ["École Sainte-Anne"]
    assert await listed(api, world, filter={"kind": "ORGANIZATION"}) == ["École Sainte-Anne"]
    assert await listed(api, world, filter={"kind": "PERSON"}) == []


async def test_groups_any_all_and_none(api, world):
    org = world.organization
    juniors = await Group.create(organization=org, name="Juniors")
    girls = await Group.create(organization=org, name="Girls")
    both = await make_contact(org, first_name="Both")
    junior = await make_contact(org, first_name="Junior")
    await make_contact(org, first_name="Neither")
    for group, contact in ((juniors, both), (girls, both), (juniors, junior)):
        await GroupMember.create(group=group, contact=contact)
    group_ids = [ids.encode("Group", juniors.id), ids.encode("Group", girls.id)]
    assert await listed(api, world, filter={"groups": {"ids": group_ids}}) == ["Both", "Junior"]
    assert await listed(api, world, filter={"groups": {"ids": group_ids, "mode": "ALL"}}) == [
        "Both"
    ]
    assert await listed(api, world, filter={"groups": {"ids": group_ids, "mode": "NONE"}}) == [
        "Neither"
    ]


async def test_colours_users_subscribers_and_affiliations(api, world):
    org = world.organization
    red = await Colour.create(organization=org, name="Red", hex="#ff0000")
    await make_contact(org, first_name="Red", colour=red)
    await make_contact(org, first_name="User", user=world.loner.user)
    school = await make_contact(org, kind=ContactKind.ORGANIZATION, organization_name="School")
    coach = await make_contact(org, first_name="Coach")
    await Affiliation.create(person=coach, organization_contact=school, role_title="Coach")
    assert await listed(api, world, filter={"colourIds": [ids.encode("Colour", red.id)]}) == ["Red"]
    assert await listed(api, world, filter={"isUser": True}) == ["User"]
    assert "User" not in await listed(api, world, filter={"isUser": False})
    # Nobody has a subscription until billing exists.
    assert await listed(api, world, filter={"isSubscriber": True}) == []
    assert len(await listed(api, world, filter={"isSubscriber": False})) == 4
    assert await listed(api, world, filter={"affiliatedTo": gid(school)}) == ["Coach"]


async def test_consent_filters_read_the_status_in_force(api, world):
    org = world.organization
    await make_contact(org, first_name="Express", email_consent="EXPRESS")
    await make_contact(
        org,
        first_name="Implied",
        email_consent="IMPLIED",
        email_consent_expires_at=datetime.now(UTC) + timedelta(days=30),
    )
    await make_contact(
        org,
        first_name="Lapsed",
        email_consent="IMPLIED",
        email_consent_expires_at=datetime.now(UTC) - timedelta(days=1),
    )
    await make_contact(org, first_name="Never")
    await make_contact(org, first_name="SmsOnly", sms_consent="EXPRESS")

    async def having(*statuses, channel="EMAIL"):
        return await listed(
            api, world, filter={"consent": {"channel": channel, "statuses": list(statuses)}}
        )

    assert await having("EXPRESS", "IMPLIED") == ["Express", "Implied"]
    assert await having("IMPLIED") == ["Implied"]
    assert await having("NOT_ASKED") == ["Lapsed", "Never", "SmsOnly"]
    assert await having("EXPRESS", channel="SMS") == ["SmsOnly"]


async def test_ages_count_whole_years_in_the_organizations_timezone(api, world):
    org = world.organization
    today = today_in(org.timezone)
    await make_contact(org, first_name="TenToday", birth_date=years_before(today, 10))
    await make_contact(
        org, first_name="TenTomorrow", birth_date=years_before(today, 10) + timedelta(days=1)
    )
    await make_contact(
        org, first_name="Twelve", birth_date=years_before(today, 13) + timedelta(days=1)
    )
    await make_contact(org, first_name="Unknown")
    assert await listed(api, world, filter={"age": {"min": 10}}) == ["TenToday", "Twelve"]
    assert await listed(api, world, filter={"age": {"max": 9}}) == ["TenTomorrow"]
    assert await listed(api, world, filter={"age": {"min": 10, "max": 12}}) == [
        "TenToday",
        "Twelve",
    ]
    refused = await api.as_(world.viewer).execute(
        LIST, {"o": world.org_gid, "filter": {"age": {"min": -1}}}
    )
    assert refused.error_codes == ["BAD_USER_INPUT"]


async def test_created_and_last_activity_ranges_are_whole_days(api, world):
    org = world.organization
    old = await make_contact(org, first_name="Old")
    new = await make_contact(org, first_name="New")
    active = await make_contact(org, first_name="Active")
    # 23:30 in Toronto on June 1st is already June 2nd in UTC: the day is Toronto's.
    await Contact.filter(id=old.id).update(created_at=datetime(2024, 6, 2, 3, 30, tzinfo=UTC))
    await Contact.filter(id=new.id).update(created_at=datetime(2025, 3, 1, 12, tzinfo=UTC))
    await Contact.filter(id=active.id).update(
        created_at=datetime(2025, 3, 2, 12, tzinfo=UTC),
        last_activity_at=datetime(2025, 4, 1, 12, tzinfo=UTC),
    )
    june_first = {"from": "2024-06-01", "to": "2024-06-01"}
    assert await listed(api, world, filter={"createdAt": june_first}) == ["Old"]
    assert await listed(api, world, filter={"createdAt": {"from": "2025-01-01"}}) == [
        "Active",
        "New",
    ]
    assert await listed(api, world, filter={"createdAt": {"to": "2025-03-01"}}) == ["New", "Old"]
    assert await listed(api, world, filter={"lastActivityAt": {"from": "2025-04-01"}}) == ["Active"]


async def test_unknown_or_foreign_ids_in_filters_are_not_found(api, world):
    theirs = await Group.create(organization=world.other_organization, name="Theirs")
    their_colour = await Colour.create(
        organization=world.other_organization, name="Blue", hex="#0000ff"
    )
    their_contact = await make_contact(world.other_organization, first_name="X")
    viewer = api.as_(world.viewer)
    for filter_ in (
        {"groups": {"ids": [ids.encode("Group", theirs.id)]}},
        {"groups": {"ids": [ids.encode("Group", 999_999)]}},
        {"groups": {"ids": [world.org_gid]}},  # not a group's id
        {"colourIds": [ids.encode("Colour", their_colour.id)]},
        {"affiliatedTo": gid(their_contact)},
        {"affiliatedTo": ids.encode("Group", theirs.id)},
    ):
        result = await viewer.execute(LIST, {"o": world.org_gid, "filter": filter_})
        assert result.error_codes == ["NOT_FOUND"], filter_
        assert result.data is None
    malformed = await viewer.execute(LIST, {"o": world.org_gid, "filter": {"colourIds": ["@@"]}})
    assert malformed.error_codes == ["BAD_USER_INPUT"]


async def test_another_organizations_list_is_not_found(api, world):
    await make_contact(world.other_organization, first_name="Theirs")
    result = await api.as_(world.agent).execute(LIST, {"o": world.other_org_gid})
    assert result.error_codes == ["NOT_FOUND"]


@pytest.mark.parametrize(
    "page", [{"first": 0}, {"first": 101}, {"last": -1}, {"first": 1, "last": 1}]
)
async def test_page_sizes_out_of_range_are_refused(api, world, page):
    result = await api.as_(world.viewer).execute(LIST, {"o": world.org_gid, **page})
    assert result.error_codes == ["BAD_USER_INPUT"]


async def test_total_count_when_asked(api, world):
    for name in ("A", "B", "C"):
        await make_contact(world.organization, first_name=name)
    result = await api.as_(world.viewer).execute(COUNTED, {"o": world.org_gid, "search": "b"})
    assert result.data["contacts"]["totalCount"] == 1


async def pages(api, world, sort, size=2, backward=False) -> list[str]:
    seen, cursor = [], None
    while True:
        if backward:
            variables = {"last": size, "before": cursor}
        else:
            variables = {"first": size, "after": cursor}
        result = await api.as_(world.viewer).execute(
            LIST, {"o": world.org_gid, "sort": sort, **variables}
        )
        page = names(result)
        info = result.data["contacts"]["pageInfo"]
        seen = page + seen if backward else seen + page
        more = info["hasPreviousPage"] if backward else info["hasNextPage"]
        if not more:
            return seen
        cursor = info["startCursor"] if backward else info["endCursor"]


async def test_sorting_by_name_pages_through_everyone(api, world):
    org = world.organization
    for first, last in (("Émile", "Zola"), ("Anne", "Ébert"), ("Bob", "Martin"), ("Zoé", "")):
        await make_contact(org, first_name=first, last_name=last)
    await make_contact(org, kind=ContactKind.ORGANIZATION, organization_name="Club Delta")
    # "club delta", "ebert, anne", "martin, bob", "zoe", "zola, emile"
    expected = ["Club Delta", "Anne Ébert", "Bob Martin", "Zoé", "Émile Zola"]
    assert await pages(api, world, {"field": "NAME"}) == expected
    assert await pages(api, world, {"field": "NAME", "direction": "DESC"}) == expected[::-1]
    assert await pages(api, world, {"field": "NAME"}, backward=True) == expected


async def test_sorting_by_creation(api, world):
    org = world.organization
    for day, name in ((3, "Third"), (1, "First"), (2, "Second")):
        contact = await make_contact(org, first_name=name)
        await Contact.filter(id=contact.id).update(created_at=datetime(2025, 1, day, tzinfo=UTC))
    assert await pages(api, world, {"field": "CREATED_AT"}) == ["First", "Second", "Third"]
    assert await pages(api, world, {"field": "CREATED_AT", "direction": "DESC"}) == [
        "Third",
        "Second",
        "First",
    ]


async def test_sorting_by_last_activity_puts_the_never_seen_last(api, world):
    org = world.organization
    for name, day in (
        ("Recent", 20),
        ("Older", 10),
        ("Oldest", 1),
        ("Never1", None),
        ("Never2", None),
    ):
        at = datetime(2025, 5, day, tzinfo=UTC) if day else None
        await make_contact(org, first_name=name, last_activity_at=at)
    newest_first = {"field": "LAST_ACTIVITY", "direction": "DESC"}
    expected = ["Recent", "Older", "Oldest", "Never2", "Never1"]
    for size in (1, 2, 3, 5, 10):
        assert await pages(api, world, newest_first, size=size) == expected, size
        assert await pages(api, world, newest_first, size=size, backward=True) == expected, size
    oldest_first = ["Oldest", "Older", "Recent", "Never1", "Never2"]
    for size in (2, 3):
        assert await pages(api, world, {"field": "LAST_ACTIVITY"}, size=size) == oldest_first
    bad = await api.as_(world.viewer).execute(
        LIST, {"o": world.org_gid, "sort": newest_first, "after": "Z.abc"}
    )
    assert bad.error_codes == ["BAD_USER_INPUT"]


async def test_a_malformed_cursor_is_bad_input(api, world):
    result = await api.as_(world.viewer).execute(LIST, {"o": world.org_gid, "after": "nonsense"})
    assert result.error_codes == ["BAD_USER_INPUT"]


def test_years_before_handles_leap_days():
    assert years_before(date(2028, 2, 29), 18) == date(2010, 2, 28)
    assert years_before(date(2026, 3, 1), 18) == date(2008, 3, 1)
