"""The best-price rule as a property: whatever the candidates, the quote is the lowest
amount; on a tie the base price is named, else the first group by name then id."""

from hypothesis import given
from hypothesis import strategies as st

from resolvers.catalogue.pricing import Quote, best

amounts = st.integers(min_value=0, max_value=10**9)
names = st.sampled_from(["alpha", "Beta", "beta", "Gamma", "Δelta"])
others = st.lists(st.tuples(names, st.integers(1, 50), amounts), max_size=8)


def _quotes(candidates):
    return [(name, pk, Quote(amount, "CAD")) for name, pk, amount in candidates]


@given(base=st.none() | amounts, candidates=others)
def test_the_quote_is_the_lowest_candidate(base, candidates):
    base_quote = None if base is None else Quote(base, "CAD")
    quote = best(base_quote, _quotes(candidates))
    everything = [a for _, _, a in candidates] + ([] if base is None else [base])
    if not everything:
        assert quote is None
        return
    assert quote.amount == min(everything)


@given(base=amounts, candidates=others)
def test_a_tie_with_the_base_names_the_base(base, candidates):
    tied = [*candidates, ("zeta", 99, base)]
    quote = best(Quote(base, "CAD"), _quotes(tied))
    if min(a for _, _, a in tied) == base:
        assert quote == Quote(base, "CAD")


@given(amount=amounts, candidates=st.lists(st.tuples(names, st.integers(1, 50)), min_size=1))
def test_tied_groups_name_the_first_by_name_then_id(amount, candidates):
    quotes = [(name, pk, Quote(amount, "CAD", plan=None)) for name, pk in candidates]
    chosen = best(None, quotes)
    first = min(quotes, key=lambda q: (q[0].casefold(), q[1]))
    assert chosen is first[2]
