"""The MultiWOZ database's per-slot value index answers exactly what a scan of the table with
:func:`matches` answers: every constraint set of the val goals (final and fail_info, each slot alone and
all together, names and trainIDs in the spellings the goals use, plus unknown-valued and dontcare cases)."""

from __future__ import annotations

import pytest

from coalm_env.domains.multiwoz.database import _sorted, plain_matches as matches
from coalm_env.resolve import domain_for
from tests.conftest import need_data


@pytest.fixture(scope="module")
def domain():
    need_data("multiwoz24")
    return domain_for("coalm/MultiWOZ-v0")


def _scan(database, d, constraints):
    rows = sorted(database.store.view().scan(d))
    return _sorted(d, [dict(r) for _k, r in rows if matches(r, constraints)])


def _constraint_sets(domain):
    for scenario in domain.scenarios("val"):
        for d, sub in scenario.goal.items():
            if d not in domain.database.tables:
                continue
            for info in (sub.get("info") or {}, sub.get("fail_info") or {}):
                info = {s: str(v) for s, v in info.items()}
                yield d, info
                for s, v in info.items():
                    yield d, {s: v}
                    yield d, {s: v.upper()}  # another spelling of the same value


def test_index_equals_scan_on_val_goals(domain) -> None:
    db = domain.database
    distinct = {(d, tuple(sorted(c.items()))) for d, c in _constraint_sets(domain)}
    trains = sorted(x for x in distinct if x[0] == "train")[::8]  # a table scan of 2,828 trains is slow
    seen = 0
    for d, items in sorted(x for x in distinct if x[0] != "train") + trains:
        constraints = dict(items)
        assert db.query(None, d, constraints) == _scan(db, d, constraints), (d, constraints)
        seen += 1
    extra = [("hotel", {"stars": "dontcare", "area": "north"}), ("attraction", {"entrance fee": "free"}),
             ("restaurant", {"name": "The Golden Curry"}), ("hotel", {"name": ""}),
             ("train", {"trainID": "tr0942"}), ("attraction", {"name": "unknown"}),
             ("hospital", {"department": "neurosciences"})]
    for d, constraints in extra:
        assert db.query(None, d, constraints) == _scan(db, d, constraints), (d, constraints)
    assert seen > 1000
    assert any(r.get(s) == "unknown" for rows in db.tables.values() for r in rows for s in r)  # the case exists
