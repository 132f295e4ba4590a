"""The mwzeval delexicaliser (multiwoz/scoring.TextIndex) read through the understanding: requestables in any
form, offers as the understanding reads them (issue 14)."""

from __future__ import annotations

import pytest
from conftest import need_data

from coalm_env.domains import get_domain

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def index():
    need_data("multiwoz24")
    return get_domain("multiwoz").index


def _record(index, domain, **want):
    return next(r for r in index.tables[domain] if all(r.get(k) == v for k, v in want.items()))


def test_requestables_in_any_form(index):
    r = _record(index, "restaurant", name="pizza hut city centre")
    phone, post = r["phone"], r["postcode"]
    spaced = f"{phone[:5]} {phone[5:8]} {phone[8:]}"  # "01223 323 737"
    assert index.provides("restaurant", "phone", f"Their number is {spaced}.")
    assert index.provides("restaurant", "postcode", f"The postcode is {post.upper()[:3]} {post.upper()[3:]}.")
    assert index.provides("restaurant", "address", f"It is at {r['address'].title()}.")
    assert not index.provides("restaurant", "phone", "Their number is 01223 000 000.")


def test_database_spelling_still_counts_without_understanding(index):
    r = _record(index, "hotel", name="acorn guest house")
    assert index.provides("hotel", "phone", f"Call {r['phone']}.")


def test_reference_and_train_id_in_other_spacing(index):
    assert index.gives("reference", "abc12xyz", "Your reference number is ABC12XYZ .")
    assert index.gives("trainID", "TR1234", "I booked TR 1234 for you.")


def test_offers_read_by_the_understanding(index):
    # val: "...including X and Y. I'd suggest Z" -> Z first; named only as unavailable -> not offered
    offered = index.offered_named("restaurant", "There are a few, including pizza hut city centre and the "
                                                "golden curry. I'd suggest curry garden.")
    assert offered[-1] == "curry garden"
    assert index.offered_named("restaurant", "I'm sorry, curry garden is fully booked at that time.") == []


def test_spelled_values_equal_a_substring_test_per_value(index):
    """The Aho-Corasick pass of ``provides`` finds a database spelling exactly when some value's letters and
    digits occur in the reply's (the per-value substring test it replaces), on MultiWOZ val system turns and on
    every database value said inside a sentence."""
    from coalm_env.domains.multiwoz.dialogues import load_dialogues
    from coalm_env.text import alnum_key

    texts = [t for d in load_dialogues("val")[:300] for t in d.system_turns]
    for domain in ("restaurant", "hotel", "attraction", "police", "hospital"):
        for slot in ("phone", "address", "postcode"):
            texts += [f"It is {r[slot]} ok." for r in index.tables.get(domain, ())[:40] if r.get(slot)]
    hits = 0
    for domain in ("restaurant", "hotel", "attraction", "police", "hospital", "train"):
        for slot in ("phone", "address", "postcode"):
            values = index._values.get(domain, {}).get(slot, ())
            for text in texts:
                want = any(v and v in alnum_key(text) for v in values)
                assert index._spelled(domain, slot, text) is want, (domain, slot, text)
                hits += want
    assert len(texts) > 2500 and hits > 300
