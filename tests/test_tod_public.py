"""tod.apis.public (what find APIs and user contexts show of a DB row) works its public fields out once per key
layout: it must equal the plain filter for every layout, give a fresh dict, keep the order, and stay bounded."""

from __future__ import annotations

from coalm_env.domains.tod import apis


def _plain(record):
    return {k: v for k, v in record.items() if not k.startswith("_")}


def test_public_equals_the_plain_filter_for_each_layout():
    rows = [{"name": "a", "_id": 1, "area": "centre"}, {"name": "b", "area": "north"}, {"_only": 1}, {},
            {"": "empty key", "_x": [1], "phone": "0"}, {"area": "east", "name": "c", "_id": 2}]
    for _ in range(2):  # the second pass reads the kept layouts
        for row in rows:
            out = apis.public(row)
            assert out == _plain(row) and list(out) == list(_plain(row))
            assert out is not row
            out["added"] = 1
            assert "added" not in row


def test_the_layout_table_is_bounded():
    for i in range(5000):
        apis.public({f"k{i}": i, "_hidden": i})
    assert len(apis._PUBLIC_FIELDS) <= 4096
    assert apis.public({"k1": 1, "_hidden": 2}) == {"k1": 1}
