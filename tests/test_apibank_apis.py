"""API-Bank mock APIs on the dataset: every gold call reproduces its recorded output (under the
scoring rule), and targeted behaviour: tokens, state carried across calls, errors, offline APIs."""

from __future__ import annotations

import collections

import pytest
from conftest import need_data

from coalm_env.types import ToolCall

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def verdicts():
    need_data("apibank")
    from experiments.apibank_audit import gold_call_verdicts

    return {level: gold_call_verdicts(level) for level in (1, 2, 3)}


def _api_names():
    from coalm_env import data

    if data.status("apibank") != "ready":
        return ["(no data)"]
    from coalm_env.domains.apibank.samples import load_scenarios

    return sorted({(lv, s["name"]) for lv in (1, 2, 3) for sc in load_scenarios(lv) for s in sc.meta["steps"]})


@pytest.mark.parametrize("level_api", _api_names(), ids=str)
def test_gold_inputs_give_gold_outputs(verdicts, level_api):
    level, name = level_api
    rows = [v for v in verdicts[level] if v["name"] == name]
    failed = [(v["scenario"], v["got"]) for v in rows if not v["ok"]]
    assert rows and not failed, failed[:3]


def test_every_level_passes_every_gold_call(verdicts):
    counts = {lv: collections.Counter(v["ok"] for v in rows) for lv, rows in verdicts.items()}
    assert {lv: c[True] for lv, c in counts.items()} == {1: 389, 2: 119, 3: 245}
    assert all(c[False] == 0 for c in counts.values())


@pytest.fixture()
def session():
    need_data("apibank")
    from coalm_env.domains.apibank.graph import build_graph
    from coalm_env.domains.apibank.resources import base_store
    from coalm_env.domains.apibank.session import APIBankSession

    store = base_store()
    return APIBankSession(build_graph(1), store.view(), store)


def _call(session, name, **arguments):
    return session.call(ToolCall(name=name, arguments=arguments))


def test_token_flow_and_state_carried_within_an_episode(session):
    token = _call(session, "GetUserToken", username="JohnDoe", password="pass123").value["token"]
    assert _call(session, "GetUserToken", username="JohnDoe", password="wrong").error["message"] == \
        "The password is incorrect."
    assert _call(session, "AddAlarm", token=token, time="2023-05-01 07:00:00").value == "success"
    assert _call(session, "QueryAlarm", token=token, time="2023-05-01 07:00:00").value == \
        {"time": "2023-05-01 07:00:00", "username": "JohnDoe"}
    assert _call(session, "AddAlarm", token="nope", time="2023-05-01 07:00:00").error["message"] == \
        "The token is invalid."
    assert _call(session, "AddAlarm", token=token, time="tomorrow").error["type"] == "invalid_arguments"


def test_register_then_use_the_new_token(session):
    token = _call(session, "RegisterUser", username="zoe", password="pw", email="zoe@x.org").value["token"]
    assert len(token) == 32
    assert _call(session, "GetUserToken", username="zoe", password="pw").value == {"token": token}
    assert _call(session, "RegisterUser", username="zoe", password="pw", email="zoe@x.org").error["message"] == \
        "The username already exists."
    assert _call(session, "DeleteAccount", token=token).value == {"status": "success"}
    assert not _call(session, "GetUserToken", username="zoe", password="pw").ok


def test_forgot_password_two_steps(session):
    code = _call(session, "ForgotPassword", status="Forgot Password", username="foo", email="foo@example.com").value
    assert not _call(session, "ForgotPassword", status="Verification Code", verification_code=1,
                     new_password="x").ok
    assert _call(session, "ForgotPassword", status="Verification Code", verification_code=str(code),
                 new_password="newpw").value == "success"
    assert _call(session, "GetUserToken", username="foo", password="newpw").ok


def test_appointments_register_modify_query_cancel(session):
    appointment = _call(session, "AppointmentRegistration", patient_name="Ann", date="2023-06-01",
                        doctor_name="Dr. Wu").value
    assert _call(session, "ModifyRegistration", appointment_id=appointment, new_appointment_date="2023-06-02",
                 new_appointment_doctor="Dr. Wu").value == "success"
    assert _call(session, "QueryRegistration", patient_name="Ann", date="2023-06-02").value == \
        {appointment: {"patient_name": "Ann", "date": "2023-06-02", "doctor_name": "Dr. Wu"}}
    assert _call(session, "CancelRegistration", appointment_id=appointment).value == "success"
    assert _call(session, "CancelRegistration", appointment_id=appointment).error["type"] == "not_found"


def test_lists_and_numbers_may_come_as_strings(session):
    token = _call(session, "GetUserToken", username="admin", password="adminpass").value["token"]
    assert _call(session, "AddMeeting", token=token, meeting_topic="Retro", start_time="2023-05-02 10:00:00",
                 end_time="2023-05-02 11:00:00", location="Room 1", attendees="['Ann', 'Bo']").value == "success"
    got = _call(session, "QueryMeeting", token=token, meeting_topic="retro", start_time="2023-05-02 10:00:00",
                end_time="2023-05-02 11:00:00", location="Room 1", attendees=[]).value
    assert got["attendees"] == ["Ann", "Bo"]
    assert _call(session, "BookHotel", hotel_name="Inn", check_in_time="2023-05-01", check_out_time="2023-05-03",
                 room_count="1", adult_count=2, child_count="0").value == "11"


def test_calculator_parses_and_never_evaluates(session):
    assert _call(session, "Calculator", formula="(5+6)*3").value == 33.0
    for bad in ("__import__('os')", "2**999999", "1/0", ""):
        assert _call(session, "Calculator", formula=bad).error["type"] == "invalid_arguments"


def test_device_id_alias_and_offline_apis(session):
    assert _call(session, "TimedSwitch", device_id="42", time="2023-05-01 07:00:00", on="True").value == "success"
    assert _call(session, "CancelTimedSwitch", device_id="42", time="2023-05-01 07:00:00").value == "success"
    assert _call(session, "Translate", src="hello", tgt_lang="fr").value == "Bonjour"
    missing = _call(session, "Dictionary", keyword="zyzzyva")
    assert missing.error["type"] == "not_recorded" and "perplexed" in missing.error["message"]
    assert _call(session, "SearchEngine", keyword="vaccines public health").ok


def test_reset_cost_does_not_grow_with_the_database():
    need_data("apibank")
    from coalm_env.domains.apibank.resources import base_store

    store = base_store()
    view = store.view()
    assert view.diff() == {} and store.size() > 100
    view.put("Alarm", "99", {"time": "t", "username": "u"})
    assert store.view().get("Alarm", "99") is None
