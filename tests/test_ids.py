"""Global ids decode into the range their primary keys can hold (schema/ids.py)."""

from __future__ import annotations

import pytest
from tortoise import Tortoise

from schema import ids

CONTACT_BEYOND_INT8 = "Q29udGFjdDo5MjIzMzcyMDM2ODU0Nzc1ODA4"  # Contact:9223372036854775808


def test_every_primary_key_holds_exactly_the_range_ids_decode_into(app):
    """ids.PK_RANGE stands for every model's key: were one an IntField (int4 on
    PostgreSQL), ids past 2**31 - 1 would overflow it again."""
    for name, model in Tortoise.apps["models"].items():
        constraints = model._meta.pk.constraints
        assert constraints.get("le") == ids.PK_RANGE[-1], name
        assert constraints.get("ge", 0) <= ids.PK_RANGE[0], name


@pytest.mark.parametrize(
    "number, decoded", [(1, 1), (2**63 - 1, 2**63 - 1), (2**63, ids.NO_ROW), (10**40, ids.NO_ROW)]
)
def test_a_number_no_key_can_hold_decodes_to_no_row(number, decoded):
    assert ids.decode(ids.encode("Contact", number)) == ("Contact", decoded)


async def test_the_reported_id_is_not_found(api, world):
    assert ids.decode(CONTACT_BEYOND_INT8) == ("Contact", ids.NO_ROW)
    result = await api.as_(world.owner).execute(
        "query($id: ID!) { contact(id: $id) { id } }", {"id": CONTACT_BEYOND_INT8}
    )
    assert result.error_codes == ["NOT_FOUND"]
