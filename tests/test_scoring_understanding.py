"""The TOD scorer reads requested values in any form and offers as offers (issue 14), through the
domain vocabulary's understanding. Each sentence was scored as not given / wrongly offered before."""

from __future__ import annotations

import pytest

from coalm_env.domains.tod import scoring
from coalm_env.domains.tod.scoring import Episode, Reply
from coalm_env.domains.tod.understanding import Understanding

U = Understanding.fallback({"restaurant": ["golden palace", "harbour grill", "river trattoria"]})


def _ep(*texts: str) -> Episode:
    return Episode([Reply(t) for t in texts])


@pytest.mark.parametrize("slot, value, text", [
    ("phone", "01223351880", "Their number is 01223 351880."),
    ("postcode", "cb21uf", "The postcode is CB2 1UF."),
    ("arriveBy", "19:30", "It arrives at 7:30 pm."),
    ("price", "5 pounds", "Tickets are £5."),
    ("internet", "yes", "It has free Wi-Fi."),
    ("duration", "105 minutes", "The journey takes 1 hour 45 minutes."),
    ("stars", "4", "It is a four-star place."),
])
def test_requested_value_in_any_form(slot, value, text):
    entity = {slot: value}
    assert not scoring._requested(slot, "hotel", entity, _ep(text))  # the DB spelling is not there
    assert scoring._requested(slot, "hotel", entity, _ep(text), U)


def test_recommendation_after_alternatives_is_the_offer():
    named = scoring._offer_reader("restaurant", ["golden palace", "harbour grill", "river trattoria"], U)
    text = "There are 3 options, including harbour grill and river trattoria. I'd suggest golden palace."
    assert scoring.offered("restaurant", _ep(text), named)[0] == "golden palace"
