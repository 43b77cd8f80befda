"""Required custom questions scoped to accounts (the holder) and members: one field-level
error per missing answer, nothing written. And the accounts list: by name, searched by
the household's people, one page in a fixed number of statements."""

from carnet.statements import count_statements
from models.accounts import ClientAccount
from models.custom_fields import CustomFieldAnswer
from tests.accounts.flows import ACCOUNTS, CREATE, MEMBER_UPDATE, create, create_input, holder

FORM = """mutation($input: CustomFormCreateInput!) {
  customFormCreate(input: $input) { form { id } errors { code } } }"""
SECTION = """mutation($input: CustomSectionCreateInput!) {
  customSectionCreate(input: $input) { section { id } errors { code } } }"""
QUESTION = """mutation($input: CustomFieldCreateInput!) {
  customFieldCreate(input: $input) { field { id scope required } errors { code } } }"""


async def question(api, world, key: str, scope: str, required: bool = True) -> str:
    owner = api.as_(world.owner)
    form = await owner.execute(
        FORM, {"input": {"organizationId": world.org_gid, "nameEn": key, "nameFr": key}}
    )
    form_id = form.ok("customFormCreate")["form"]["id"]
    section = await owner.execute(
        SECTION, {"input": {"formId": form_id, "nameEn": key, "nameFr": key}}
    )
    section_id = section.ok("customSectionCreate")["section"]["id"]
    field = await owner.execute(
        QUESTION,
        {
            "input": {
                "sectionId": section_id,
                "key": key,
                "labelEn": key.title(),
                "labelFr": key.title(),
                "type": "TEXT",
                "required": required,
                "scope": scope,
            }
        },
    )
    created = field.ok("customFieldCreate")["field"]
    assert created["scope"] == scope
    return created["id"]


async def test_one_error_per_missing_required_answer(api, world):
    referral = await question(api, world, "referral", "ACCOUNT")
    allergies = await question(api, world, "allergies", "MEMBER")
    await question(api, world, "nickname", "MEMBER", required=False)
    await question(api, world, "shirt", "CONTACT")  # asked when its own form is saved
    members = [{"firstName": "Léa"}, {"firstName": "Noé"}]
    result = await api.as_(world.agent).execute(CREATE, create_input(world, members=members))
    errors = result.payload("clientAccountCreate")["errors"]
    assert sorted((e["code"], tuple(e["field"])) for e in errors) == [
        ("REQUIRED", ("input", "holder", "answers")),
        ("REQUIRED", ("input", "holder", "answers")),
        ("REQUIRED", ("input", "members", 0, "answers")),
        ("REQUIRED", ("input", "members", 1, "answers")),
    ]
    holder_messages = sorted(e["message"] for e in errors if e["field"][1] == "holder")
    assert "(allergies)" in holder_messages[0] and "(referral)" in holder_messages[1]
    assert await ClientAccount.all().count() == 0
    answered = holder(
        answers=[
            {"fieldId": referral, "value": "A friend"},
            {"fieldId": allergies, "value": "None"},
        ]
    )
    kids = [{**m, "answers": [{"fieldId": allergies, "value": "Nuts"}]} for m in members]
    account = await create(api, world, answered, kids)
    assert len(account["contacts"]) == 3
    assert await CustomFieldAnswer.all().count() == 4
    # Removing a required answer on a member's edit is refused in the same way.
    child = account["contacts"][1]
    cleared = await api.as_(world.agent).execute(
        MEMBER_UPDATE,
        {
            "input": {
                "accountContactId": child["id"],
                "answers": [{"fieldId": allergies, "value": None}],
            }
        },
    )
    [error] = cleared.payload("clientAccountMemberUpdate")["errors"]
    assert (error["code"], error["field"]) == ("REQUIRED", ["input", "answers"])
    assert await CustomFieldAnswer.all().count() == 4


async def test_an_answer_to_a_question_not_asked_is_refused(api, world):
    shirt = await question(api, world, "shirt", "CONTACT")
    values = holder(answers=[{"fieldId": shirt, "value": "M"}])
    result = await api.as_(world.agent).execute(CREATE, create_input(world, values))
    [error] = result.payload("clientAccountCreate")["errors"]
    assert (error["code"], error["field"]) == (
        "NOT_FOUND",
        ["input", "holder", "answers", 0, "fieldId"],
    )


async def test_the_list_by_name_searched_by_the_households_people(api, world):
    await create(api, world, holder(lastName="Roy"), [{"firstName": "Zacharie"}])
    await create(api, world, holder(lastName="Auclair"))
    await create(api, world, holder(lastName="Gagnon", email="gagnon@example.test"))
    viewer = api.as_(world.viewer)
    listed = await viewer.execute(ACCOUNTS, {"o": world.org_gid})
    names = [e["node"]["name"] for e in listed.data["clientAccounts"]["edges"]]
    assert names == ["Auclair", "Gagnon", "Roy"]
    assert listed.data["clientAccounts"]["totalCount"] == 3
    for search, expected in (
        ("zach", ["Roy"]),
        ("gagnon@example", ["Gagnon"]),
        ("auc", ["Auclair"]),
    ):
        found = await viewer.execute(ACCOUNTS, {"o": world.org_gid, "search": search})
        assert [e["node"]["name"] for e in found.data["clientAccounts"]["edges"]] == expected
    page = await viewer.execute(ACCOUNTS, {"o": world.org_gid, "first": 2})
    cursor = page.data["clientAccounts"]["pageInfo"]["endCursor"]
    rest = await viewer.execute(ACCOUNTS, {"o": world.org_gid, "first": 2, "after": cursor})
    assert [e["node"]["name"] for e in rest.data["clientAccounts"]["edges"]] == ["Roy"]
    theirs = await api.as_(world.outsider).execute(ACCOUNTS, {"o": world.org_gid})
    assert theirs.error_codes == ["NOT_FOUND"]


async def test_a_page_costs_the_same_statements_whatever_its_size(api, world):
    viewer = api.as_(world.viewer)
    for name in ("A", "B"):
        await create(api, world, holder(lastName=name), [{"firstName": "Kid"}])
    with count_statements() as few:
        await viewer.execute(ACCOUNTS, {"o": world.org_gid})
    for name in ("C", "D", "E", "F"):
        await create(api, world, holder(lastName=name), [{"firstName": "Kid"}])
    with count_statements() as many:
        await viewer.execute(ACCOUNTS, {"o": world.org_gid})
    assert len(few) == len(many)
