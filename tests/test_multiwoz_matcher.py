"""``database.matcher(constraints)`` (the constraint side compiled once per query) and ``database.matches`` (which
keeps the compiled matchers per constraint set) decide exactly what ``database.plain_matches(record, constraints)``
(the slot-by-slot reading) decides, row by row: val goals' constraint sets over the tables, plus
odd spellings, times, dontcare, unknown values and rows that lack a slot."""

from __future__ import annotations

import random

import pytest

from coalm_env.domains.multiwoz.database import UNKNOWN, matcher, matches, plain_matches
from coalm_env.resolve import domain_for
from tests.conftest import need_data


@pytest.fixture(scope="module")
def domain():
    need_data("multiwoz24")
    return domain_for("coalm/MultiWOZ-v0")


_ODD = ("", "dontcare", "Don't care!", "any", "none", "not mentioned", "?", UNKNOWN, "the", "The Golden Curry",
        "golden curry", "9:05", "09:05", "25:00", "north", "NORTH ", "free", "yes", "4", "cheap|moderate")


def test_matcher_equals_matches_row_by_row(domain) -> None:
    rng = random.Random(0)
    tables = domain.database.tables
    sets = []
    for scenario in list(domain.scenarios("val"))[:300]:
        for d, sub in scenario.goal.items():
            if d in tables:
                for info in (sub.get("info") or {}, sub.get("fail_info") or {}):
                    sets.append((d, {s: str(v) for s, v in info.items()}))
    for d in tables:  # odd values in every slot the table has, names and times included
        slots = sorted({s for r in tables[d][:50] for s in r})
        for _ in range(40):
            sets.append((d, {s: rng.choice(_ODD) for s in rng.sample(slots, min(len(slots), rng.randint(1, 3)))}))
    decided = {True: 0, False: 0}
    for d, constraints in sets:
        rows = tables[d] if len(tables[d]) < 300 else rng.sample(tables[d], 300)
        rows = rows + [{k: v for k, v in rows[0].items() if k not in constraints}]  # a row lacking the slots
        match = matcher(constraints)
        for r in rows:
            want = plain_matches(r, constraints)
            assert match(r) == want and matches(r, constraints) == want, (d, constraints, r)
            decided[want] += 1
    assert decided[True] > 1000 and decided[False] > 1000
