"""`resolvers.common.sql.one_of`: a long IN list as one parameter, filtered and excluded."""

from __future__ import annotations

from models.contacts import Contact
from resolvers.common.sql import one_of


async def test_one_of_filters_and_excludes_on_this_database(world):
    made = [
        await Contact.create(organization=world.organization, first_name=name, email=email)
        for name, email in (("A", "a@x.test"), ("B", "b@x.test"), ("C", None))
    ]
    mine = Contact.filter(organization=world.organization, id__in=[c.id for c in made])
    ids = [made[0].id, made[2].id]

    assert sorted(await mine.filter(one_of("id", ids)).values_list("first_name", flat=True)) == [
        "A",
        "C",
    ]
    assert await mine.exclude(one_of("id", ids)).values_list("first_name", flat=True) == ["B"]
    assert await mine.filter(~one_of("id", ids)).values_list("first_name", flat=True) == ["B"]
    # Excluded after another one_of, parameters in the order the SQL names them.
    emails = ["a@x.test", "b@x.test"]
    both = mine.filter(one_of("email", emails)).exclude(one_of("id", [made[1].id]))
    assert await both.values_list("first_name", flat=True) == ["A"]
    # An empty list matches nothing; excluding it excludes nothing.
    assert await mine.filter(one_of("id", [])).count() == 0
    assert await mine.exclude(one_of("id", [])).count() == 3
