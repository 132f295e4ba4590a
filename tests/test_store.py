"""Copy-on-write episode views: the base never changes, views are independent, diffs and hashes are exact."""

from __future__ import annotations

import pytest

from coalm_env.backend.store import Store

BASE = {"hotel": {"h1": {"name": "a", "free": 2}, "h2": {"name": "b", "free": 0}}, "orders": {}}


@pytest.fixture
def store() -> Store:
    return Store(BASE)


def test_writes_stay_in_the_view(store: Store) -> None:
    one, two = store.view(), store.view()
    one.update("hotel", "h1", free=1)
    one.put("orders", "o1", {"hotel": "h1"})
    one.delete("hotel", "h2")
    assert one.get("hotel", "h1")["free"] == 1 and one.get("hotel", "h2") is None
    assert two.get("hotel", "h1")["free"] == 2 and two.get("hotel", "h2")["name"] == "b"
    assert store.view().snapshot("hotel") == {k: dict(v) for k, v in BASE["hotel"].items()}
    assert two.diff() == {}


def test_records_are_read_only(store: Store) -> None:
    view = store.view()
    with pytest.raises(TypeError):
        view.get("hotel", "h1")["free"] = 9  # type: ignore[index]
    record = {"hotel": "h1"}
    view.put("orders", "o1", record)
    record["hotel"] = "changed"
    assert view.get("orders", "o1")["hotel"] == "h1"


def test_diff_lists_changes_and_deletes(store: Store) -> None:
    view = store.view()
    view.put("orders", "o2", {"n": 2})
    view.put("orders", "o1", {"n": 1})
    view.delete("hotel", "h2")
    assert view.diff() == {"hotel": {"h2": None}, "orders": {"o1": {"n": 1}, "o2": {"n": 2}}}
    assert list(view.diff()["orders"]) == ["o1", "o2"]


def test_scan_order_and_counts(store: Store) -> None:
    view = store.view()
    view.put("hotel", "h0", {"name": "new"})
    view.update("hotel", "h2", free=5)
    view.delete("hotel", "h1")
    assert [k for k, _ in view.scan("hotel")] == ["h2", "h0"]
    assert view.count("hotel") == 2 and view.count("missing") == 0
    with pytest.raises(KeyError):
        view.update("hotel", "h1", free=1)


def test_state_hash_is_a_function_of_the_changes(store: Store) -> None:
    a, b, c = store.view(), store.view(), store.view()
    assert a.state_hash() == b.state_hash()
    a.put("orders", "o1", {"n": 1, "m": [1, 2]})
    a.put("orders", "o2", {"n": 2})
    b.put("orders", "o2", {"n": 2})
    b.put("orders", "o1", {"m": [1, 2], "n": 1})
    assert a.state_hash() == b.state_hash()
    c.put("orders", "o1", {"n": 1, "m": [2, 1]})
    assert c.state_hash() != a.state_hash()


def test_a_view_does_not_copy_the_base() -> None:
    big = Store({"t": {str(i): {"i": i} for i in range(20_000)}})
    view = big.view()
    assert view.diff() == {} and view.count("t") == 20_000
    assert big.size() == 20_000 and big.tables == ["t"]
    # the view holds the base tables by reference; only writes allocate
    assert view._base is big._tables
