"""The contacts list filtered on custom-field answers: per type, the conditions that fit it;
a foreign or unknown field is NOT_FOUND, a condition that does not fit is BAD_USER_INPUT."""

import pytest

from models.custom_fields import (
    CustomField,
    CustomFieldAnswer,
    CustomFieldType,
    CustomForm,
    CustomSection,
)
from resolvers.custom_fields.answers import stored_answer
from schema import ids
from tests.contacts.contact_flows import LIST, make_contact, names
from tests.custom_fields_authz_examples import a_fresh_field

SIZES = [{"value": v, "label_en": v, "label_fr": v} for v in ("s", "m", "l", "xl")]


async def listed(api, world, *conditions: dict) -> list[str]:
    result = await api.as_(world.viewer).execute(
        LIST, {"o": world.org_gid, "filter": {"customFields": list(conditions)}}
    )
    return sorted(names(result))


async def refused(api, world, *conditions: dict):
    result = await api.as_(world.viewer).execute(
        LIST, {"o": world.org_gid, "filter": {"customFields": list(conditions)}}
    )
    assert result.data is None
    return result


def fid(field: CustomField) -> str:
    return ids.encode("CustomField", field.id)


@pytest.fixture
async def book(world):
    """Ann, Bob, Cid and Dan (no answers at all), with one question of each type."""
    org = world.organization
    fields = {
        "text": await a_fresh_field(world, type=CustomFieldType.TEXT),
        "number": await a_fresh_field(world, type=CustomFieldType.NUMBER),
        "date": await a_fresh_field(world, type=CustomFieldType.DATE),
        "boolean": await a_fresh_field(world, type=CustomFieldType.BOOLEAN),
        "single": await a_fresh_field(world, type=CustomFieldType.SINGLE_CHOICE, choices=SIZES),
        "multiple": await a_fresh_field(world, type=CustomFieldType.MULTIPLE_CHOICE, choices=SIZES),
    }
    answers = {
        "Ann": {
            "text": "Allergic to Peanuts, élève",
            "number": 12,
            "date": "2014-03-01",
            "boolean": True,
            "single": "s",
            "multiple": ["s", "m"],
        },
        "Bob": {
            "text": "likes peanut butter",
            "number": 7.5,
            "date": "2016-11-30",
            "boolean": False,
            "single": "m",
            "multiple": ["l"],
        },
        "Cid": {"text": "100% fine", "number": -3, "single": "l"},
    }
    for name in ("Ann", "Bob", "Cid", "Dan"):
        contact = await make_contact(org, first_name=name)
        for key, value in answers.get(name, {}).items():
            await CustomFieldAnswer.create(
                contact=contact, field=fields[key], **stored_answer(fields[key].type, value)
            )
    return {key: fid(field) for key, field in fields.items()}


async def test_text_contains_ignoring_case_and_accents(api, world, book):
    assert await listed(api, world, {"fieldId": book["text"], "contains": "PEANUT"}) == [
        "Ann",
        "Bob",
    ]
    assert await listed(api, world, {"fieldId": book["text"], "contains": "butter"}) == ["Bob"]
    assert await listed(api, world, {"fieldId": book["text"], "contains": "100%"}) == ["Cid"]
    assert await listed(api, world, {"fieldId": book["text"], "contains": "0%f"}) == []
    assert await listed(api, world, {"fieldId": book["text"], "contains": "ELEVE"}) == ["Ann"]
    assert await listed(api, world, {"fieldId": book["text"], "contains": "Élève"}) == ["Ann"]


async def test_numbers_equal_in_and_range(api, world, book):
    number = book["number"]
    assert await listed(api, world, {"fieldId": number, "equals": 12}) == ["Ann"]
    assert await listed(api, world, {"fieldId": number, "equals": 7.5}) == ["Bob"]
    assert await listed(api, world, {"fieldId": number, "in": [-3, 12]}) == ["Ann", "Cid"]
    assert await listed(api, world, {"fieldId": number, "min": 7.5}) == ["Ann", "Bob"]
    assert await listed(api, world, {"fieldId": number, "min": 0, "max": 10}) == ["Bob"]
    # Numerically, not as text: "12" < "7.5" < "9" as strings.
    assert await listed(api, world, {"fieldId": number, "max": 9}) == ["Bob", "Cid"]


async def test_dates_equal_and_range(api, world, book):
    day = book["date"]
    assert await listed(api, world, {"fieldId": day, "equals": "2014-03-01"}) == ["Ann"]
    assert await listed(api, world, {"fieldId": day, "min": "2015-01-01"}) == ["Bob"]
    assert await listed(api, world, {"fieldId": day, "max": "2016-11-30"}) == ["Ann", "Bob"]
    assert (
        await listed(api, world, {"fieldId": day, "min": "2014-03-02", "max": "2016-11-29"}) == []
    )


async def test_booleans_and_choices(api, world, book):
    assert await listed(api, world, {"fieldId": book["boolean"], "equals": True}) == ["Ann"]
    assert await listed(api, world, {"fieldId": book["boolean"], "equals": False}) == ["Bob"]
    assert await listed(api, world, {"fieldId": book["single"], "equals": "m"}) == ["Bob"]
    assert await listed(api, world, {"fieldId": book["single"], "in": ["s", "l"]}) == [
        "Ann",
        "Cid",
    ]
    assert await listed(api, world, {"fieldId": book["single"], "in": []}) == []
    # Multiple choice: any of the choices given.
    multiple = book["multiple"]
    assert await listed(api, world, {"fieldId": multiple, "in": ["m"]}) == ["Ann"]
    assert await listed(api, world, {"fieldId": multiple, "in": ["m", "l"]}) == ["Ann", "Bob"]
    assert await listed(api, world, {"fieldId": multiple, "in": ["xl"]}) == []


async def test_is_set_and_equals_null(api, world, book):
    assert await listed(api, world, {"fieldId": book["date"], "isSet": True}) == ["Ann", "Bob"]
    assert await listed(api, world, {"fieldId": book["date"], "isSet": False}) == ["Cid", "Dan"]
    assert await listed(api, world, {"fieldId": book["single"], "equals": None}) == ["Dan"]


async def test_conditions_on_several_fields_all_hold(api, world, book):
    assert await listed(
        api,
        world,
        {"fieldId": book["text"], "contains": "peanut"},
        {"fieldId": book["number"], "min": 10},
    ) == ["Ann"]


async def test_another_organizations_or_an_unknown_field_is_not_found(api, world, book):
    form = await CustomForm.create(
        organization=world.other_organization, name_en="Theirs", name_fr="Le leur"
    )
    section = await CustomSection.create(form=form, name_en="S", name_fr="S")
    theirs = await CustomField.create(
        organization=world.other_organization,
        section=section,
        key="theirs",
        label_en="Theirs",
        label_fr="Le leur",
        type=CustomFieldType.TEXT,
    )
    for field_id in (fid(theirs), ids.encode("CustomField", 999_999), ids.encode("Group", 1)):
        result = await refused(
            api,
            world,
            {"fieldId": book["text"], "isSet": True},
            {"fieldId": field_id, "isSet": True},
        )
        assert result.error_codes == ["NOT_FOUND"], field_id


@pytest.mark.parametrize(
    ("key", "condition"),
    [
        ("text", {"equals": "x"}),  # text: contains only
        ("text", {"min": 1}),
        ("number", {"contains": "1"}),
        ("number", {"equals": "twelve"}),  # not a number
        ("date", {"min": "01/02/2015"}),  # not YYYY-MM-DD
        ("boolean", {"min": 0}),
        ("boolean", {"equals": "yes"}),
        ("single", {"equals": "xxl"}),  # not one of the choices
        ("single", {"contains": "s"}),
        ("multiple", {"equals": "s"}),  # multiple choice: in (any of)
        ("multiple", {"in": ["nope"]}),
        ("number", {}),  # no condition at all
    ],
)
async def test_a_condition_that_does_not_fit_is_bad_input(api, world, book, key, condition):
    result = await refused(api, world, {"fieldId": book[key], **condition})
    assert result.error_codes == ["BAD_USER_INPUT"], condition
