"""API-Bank scoring rules (fuzzy where the benchmark is) and reply metrics."""

from __future__ import annotations

import pytest

from coalm_env.domains.apibank.scoring import RULES, check_call, jaccard_match, text_metrics


def _o(api, output="success", exception=None, **inputs):
    return {"api_name": api, "input": inputs, "output": output, "exception": exception}


def test_default_rule_is_exact_but_case_insensitive():
    gold = _o("AddAlarm", token="t", time="2023-03-20 06:30:00")
    assert check_call("AddAlarm", _o("AddAlarm", token="T", time="2023-03-20 06:30:00"), gold)
    assert not check_call("AddAlarm", _o("AddAlarm", token="t", time="2023-03-20 06:31:00"), gold)
    assert not check_call("AddAlarm", _o("AddAlarm", None, "The token is invalid.", token="t",
                                         time="2023-03-20 06:30:00"), gold)


def test_content_rule_uses_word_jaccard_above_half():
    gold = _o("AddAgenda", token="t", content="Meeting with John", time="x", location="office")
    assert check_call("AddAgenda", _o("AddAgenda", token="t", content="meeting with John today", time="x",
                                      location="office"), gold)
    assert not check_call("AddAgenda", _o("AddAgenda", token="t", content="Lunch", time="x", location="office"), gold)
    assert jaccard_match("a b c", "a b c d") and not jaccard_match("a b", "a c d")


def test_meeting_rule_treats_attendees_as_a_set_and_delete_meeting_works():
    gold = _o("DeleteMeeting", token="t", meeting_topic="Board Meeting", start_time="s", end_time="e",
              location="l", attendees=["A", "B"])
    mine = _o("DeleteMeeting", token="t", meeting_topic="the board meeting", start_time="s", end_time="e",
              location="l", attendees=["b", "a"])
    assert check_call("DeleteMeeting", mine, gold)
    assert not check_call("DeleteMeeting", {**mine, "input": {**mine["input"], "start_time": "z"}}, gold)


def test_result_number_and_random_output_rules():
    assert check_call("QueryStock", _o("QueryStock", 184.5, stock_code="aapl", date="d"),
                      _o("QueryStock", 184.5, stock_code="AAPL", date="d"))
    assert check_call("Calculator", _o("Calculator", 6.0000000001, formula="30/5"),
                      _o("Calculator", 6.0, formula="(5*6)/(2+3)"))
    assert not check_call("Calculator", _o("Calculator", 7.0, formula="x"), _o("Calculator", 6.0, formula="x"))
    assert check_call("RegisterUser", _o("RegisterUser", {"token": "a"}, username="u", password="p", email="e"),
                      _o("RegisterUser", {"token": "b"}, username="u", password="p", email="e"))
    reg = {"1": {"patient_name": "A", "date": "d", "doctor_name": "D"}}
    assert check_call("QueryRegistration", _o("QueryRegistration", reg),
                      _o("QueryRegistration", {"9": reg["1"]}))


def test_retrieval_device_and_scene_rules():
    card = {"name": "AddAlarm"}
    assert check_call("ToolSearcher", _o("ToolSearcher", [{"name": "GetUserToken"}, card], keywords="alarm"),
                      _o("ToolSearcher", [{"name": "GetUserToken"}, card], keywords="set alarm"))
    assert not check_call("ToolSearcher", _o("ToolSearcher", {"name": "AddAgenda"}), _o("ToolSearcher", card))
    assert check_call("TimedSwitch", _o("TimedSwitch", name="12", time="t", on=True),
                      _o("TimedSwitch", device_id="12", time="t", on=True))
    assert check_call("AddScene", _o("AddScene", name="Party", devices=[{"name": "Light"}, {"name": "tv"}]),
                      _o("AddScene", name="party", devices=[{"name": "TV", "description": "x"}, {"name": "light"}]))
    assert set(RULES) >= {"AddAgenda", "DeleteMeeting", "ToolSearcher", "Calculator", "Dictionary"}


def test_rules_never_raise_on_malformed_outcomes():
    assert not check_call("Calculator", _o("Calculator", "abc"), _o("Calculator", 1.0))
    assert not check_call("AddScene", _o("AddScene", devices=5), _o("AddScene", devices=[{"name": "x"}]))


def test_text_metrics():
    assert text_metrics([]) == {}
    same = text_metrics([("Your alarm is set for 7 am.", "Your alarm is set for 7 am.")])
    assert same == pytest.approx({"rouge_1": 1.0, "rouge_2": 1.0, "rouge_l": 1.0, "bleu_4": 1.0})
    other = text_metrics([("The alarm is on.", "Your alarm is set for 7 am.")])
    assert 0 < other["rouge_l"] < 1 and other["bleu_4"] < 1
    assert text_metrics([("", "Your alarm is set.")])["rouge_l"] == 0.0
