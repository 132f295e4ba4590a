"""API-Bank's official prediction format and the official checks (issue 15), on the dataset's own rows."""

from __future__ import annotations

import json
import re

import pytest

from coalm_env.cli import main
from coalm_env.domains.apibank.official import expected_text, read_rows, score_rows, summary
from coalm_env.parsing import parse_action
from conftest import need_data

pytestmark = pytest.mark.usefixtures("_apibank_data")


@pytest.fixture
def _apibank_data() -> None:
    need_data("apibank")


def _rows(name: str) -> list[dict]:
    from coalm_env import data

    return json.loads(data.require("apibank", "test-data", name).read_text())


def _row(rows: list[dict], needle: str, nth: int = 0) -> dict:
    return [r for r in rows if needle in expected_text(r)][nth]


def _verdict(row: dict, pred: str, level: int):
    return score_rows([{**row, "pred": pred}], level)[0]


# -- parser ---------------------------------------------------------------------------------------
def test_official_text_with_nested_quote_lists_parses() -> None:
    row = _row(_rows("level-1-api.json"), "[AddMeeting(")
    parsed = parse_action(row["expected_output"])  # attendees='['John', 'Jane']'
    assert parsed.kind == "tool_calls" and parsed.format == "apibank"
    assert parsed.calls[0].arguments["attendees"] == "['John', 'Jane']"
    assert parsed.calls[0].arguments["meeting_topic"] == "new project launch"


@pytest.mark.parametrize("text, thought", [
    ("Sure, I will add it. API-Request: [AddMeeting(token='t', attendees='['John', 'Jane']')] Done.",
     "Sure, I will add it."),
    ("Sure, I will add it. [AddMeeting(token='t', attendees='['John', 'Jane']')] Done.", "Sure, I will add it."),
    ("[AddMeeting(token='t', attendees='['John', 'Jane']')]->success", None),
])
def test_official_call_is_found_with_text_around_it(text: str, thought: str | None) -> None:
    parsed = parse_action(text)
    assert parsed.kind == "tool_calls", parsed.error
    assert parsed.calls[0].name == "AddMeeting" and parsed.calls[0].arguments["token"] == "t"
    assert parsed.thought == thought


def test_official_values_are_strings_and_apostrophes_survive() -> None:
    call = parse_action("API-Request: [CancelRegistration(appointment_id=78901234)]").calls[0]
    assert call.arguments == {"appointment_id": "78901234"}
    call = parse_action("API-Request: [AddReminder(token='t', content='Call mom's doctor', time='x')]").calls[0]
    assert call.arguments["content"] == "Call mom's doctor"
    assert parse_action("API-Request: [TimedSwitch(name='x', on=True)]").calls[0].arguments["on"] == "True"


def test_broken_official_text_is_an_error_not_a_call() -> None:
    assert parse_action("API-Request: [AddAlarm(token='x', time='2023").kind == "error"
    assert parse_action("API-Request: [AddAlarm(token='x', time=)]").kind == "error"
    assert parse_action("API-Request: [AddAlarm('x')]").kind == "error"  # positional: not the official form


def test_hostile_text_in_the_official_form_is_an_error_read_in_linear_time() -> None:
    from coalm_env.limits import MAX_ACTION_CHARS

    # many call starts with no end: a backtracking pattern would take minutes on this
    for text in ("[a(" * (MAX_ACTION_CHARS // 3), "[Ab(" * (MAX_ACTION_CHARS // 4),
                 "API-Request: " + "[Ab(x=" * (MAX_ACTION_CHARS // 8)):
        assert parse_action(text).kind == "error"


# -- the gold text of every level ------------------------------------------------------------------
@pytest.mark.parametrize("name, level", [("level-1-api.json", 1), ("level-2-api.json", 2),
                                         ("level-3-batch-inf.json", 3)])
def test_gold_text_passes_at_every_level(name: str, level: int) -> None:
    rows = [{**r, "pred": expected_text(r)} for r in _rows(name)]
    scores = score_rows(rows, level)
    assert [s.reason for s in scores if not s.valid] == []
    assert len(scores) == len(rows) and all(s.kind == "api" for s in scores)


# -- the scoring fixes, each on a real row -----------------------------------------------------------
def test_document_qa_compares_the_question() -> None:
    row = _row(_rows("level-1-api.json"), "[DocumentQA(")
    gold = row["expected_output"]
    assert _verdict(row, gold, 1).valid
    other = gold.replace("What are the key features of this software?", "Who wrote this software?")
    assert other != gold and not _verdict(row, other, 1).valid


def test_query_health_data_compares_the_time_range() -> None:
    row = _row(_rows("level-1-api.json"), "[QueryHealthData(")
    gold = row["expected_output"]
    shifted = gold.replace("start_time='2023-03-05 00:00:00'", "start_time='2023-03-04 00:00:00'")
    assert shifted != gold and not _verdict(row, shifted, 1).valid
    assert _verdict(row, gold, 1).valid


def test_level3_travel_status_compares_the_member() -> None:
    row = [r for r in _rows("level-3-batch-inf.json") if "[TravelStatus(member_name='John')]" in r["output"]][0]
    assert _verdict(row, row["output"], 3).valid
    verdict = _verdict(row, "API-Request: [TravelStatus(member_name='Tom')]", 3)  # Tom is also 'Traveling'
    assert not verdict.valid and "member_name" in verdict.reason


def test_delete_agenda_and_reminder_compare_only_the_time_when_both_succeed() -> None:
    rows = _rows("level-1-api.json")
    # the agenda the dialogue added earlier (AddAgenda at 2023-03-20 00:00:00), deleted by its time
    agenda = _row(rows, "[DeleteAgenda(token='p9o8i7u6y5t4k3e2w1q', content='Dinner with friends'")
    assert _verdict(agenda, agenda["expected_output"].replace("Dinner with friends", "Gym workout"), 1).valid
    moved = agenda["expected_output"].replace("2023-03-20 00:00:00", "2023-03-21 00:00:00")
    assert not _verdict(agenda, moved, 1).valid  # found by its content, deleted: but at another time
    assert not _verdict(agenda, moved.replace("Dinner with friends", "Gym workout"), 1).valid
    reminder = _row(rows, "[DeleteReminder(")
    assert _verdict(reminder, reminder["expected_output"].replace("Call dentist", "Dentist appointment"), 1).valid
    assert not _verdict(reminder, reminder["expected_output"].replace("16:30:00", "17:30:00"), 1).valid


def test_level3_email_reminder_ignores_content_only() -> None:
    row = _row(_rows("level-3-batch-inf.json"), "[EmailReminder(")
    gold = row["output"]
    assert _verdict(row, gold.replace("Meeting with the client will be held", "We meet"), 3).valid
    assert not _verdict(row, gold.replace("john@example.com", "mary@example.com"), 3).valid


def test_timed_switch_gold_text_on_true_passes_and_false_does_not() -> None:
    row = _row(_rows("level-1-api.json"), "on='True'")
    assert _verdict(row, row["expected_output"], 1).valid
    assert not _verdict(row, row["expected_output"].replace("on='True'", "on='False'"), 1).valid


def test_unquoted_number_for_a_string_parameter_passes() -> None:
    row = _row(_rows("level-1-api.json"), "[CancelRegistration(appointment_id='78901234')]")
    assert _verdict(row, "API-Request: [CancelRegistration(appointment_id=78901234)]", 1).valid
    assert _verdict(row, "[CancelRegistration(appointment_id=78901234)]", 1).valid  # no prefix: python form
    assert not _verdict(row, "API-Request: [CancelRegistration(appointment_id=78901235)]", 1).valid


def test_lists_as_lists_and_as_gold_text_both_pass() -> None:
    row = _row(_rows("level-1-api.json"), "[AddMeeting(")
    as_list = row["expected_output"].replace("attendees='['John', 'Jane']'", "attendees=['Jane', 'John']")
    assert _verdict(row, as_list, 1).valid and _verdict(row, row["expected_output"], 1).valid
    assert not _verdict(row, row["expected_output"].replace("'Jane'", "'Jim'"), 1).valid


def test_wrong_predictions_say_why() -> None:
    row = _row(_rows("level-1-api.json"), "[QueryHealthData(")
    assert _verdict(row, "I cannot do that.", 1).reason == "no API call found"
    assert _verdict(row, "API-Request: [QueryStock(stock_code='AAPL')]", 1).reason.startswith("API name mismatch")
    assert _verdict(row, "API-Request: [QueryHealthData(user_id='J46801'", 1).reason.startswith("malformed")
    dropped = "API-Request: [QueryHealthData(user_id='J46801', start_time='2023-03-05 00:00:00')]"
    assert "end_time" in _verdict(row, dropped, 1).reason


# -- response rows and the file reader -----------------------------------------------------------------
def test_response_rows_get_text_metrics() -> None:
    rows = _rows("level-1-response.json")[:3]
    scores = score_rows([{**rows[0], "pred": rows[0]["expected_output"]}, {**rows[1], "pred": ""},
                         {**rows[2], "pred": "Something else entirely."}], 1)
    assert [s.kind for s in scores] == ["response"] * 3
    assert scores[0].valid and scores[0].metrics["rouge_l"] == pytest.approx(1.0)
    assert not scores[1].valid and scores[1].reason == "empty prediction"
    assert 0 <= scores[2].metrics["rouge_l"] < 1
    level3 = _rows("level-3-batch-inf-response.json")[0]
    assert score_rows([{**level3, "pred": "AI: " + level3["output"]}], 3)[0].metrics["rouge_l"] == pytest.approx(1.0)


def test_rows_with_missing_fields_get_their_own_reason() -> None:
    row = _row(_rows("level-1-api.json"), "[QueryHealthData(")
    no_file = {k: v for k, v in row.items() if k != "file"}
    scores = score_rows([{**no_file, "pred": row["expected_output"]}, {**row, "id": "two", "pred": "x"},
                         {**row, "file": "Nope.jsonl", "pred": row["expected_output"]}], 1)
    assert "missing field(s) ['file']" in scores[0].reason
    assert "'id' must be a non-negative integer" in scores[1].reason
    assert "no gold dialogue 'Nope.jsonl'" in scores[2].reason
    assert not any(s.valid for s in scores)


def test_cli_end_to_end_with_out(tmp_path, capsys) -> None:
    rows = _rows("level-1-api.json")[:6]
    lines = [json.dumps({**rows[0], "pred": rows[0]["expected_output"]}),
             json.dumps({**rows[1], "pred": "API-Request: [QueryStock(stock_code='AAPL', date='2023-03-01')]"}),
             json.dumps({k: v for k, v in rows[2].items()}),  # no prediction
             '{"file": "x.jsonl", "id": 2, "pre',  # torn line
             json.dumps({**rows[3], "answer": rows[3]["expected_output"]})]
    src = tmp_path / "preds.jsonl"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "verdicts.jsonl"
    assert main(["score-apibank", str(src), "--level", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "call_accuracy" in printed and "rouge_l" in printed and "bleu_4" in printed
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(got) == 5 and [g["line"] for g in got] == [1, 2, 3, 4, 5]
    assert (got[0]["file"], got[0]["id"], got[0]["valid"], got[0]["reason"]) == (rows[0]["file"], rows[0]["id"],
                                                                                 True, "ok")
    assert got[1]["valid"] is False and got[1]["reason"].startswith("API name mismatch")
    assert got[2]["reason"] == "no 'pred' field"
    assert got[3]["reason"].startswith("line 4: not valid JSON")
    assert got[4]["reason"] == "no 'pred' field"
    # --field picks another field
    assert main(["score-apibank", str(src), "--level", "1", "--field", "answer", "--out", str(out)]) == 0
    assert json.loads(out.read_text().splitlines()[4])["valid"] is True


def test_cli_problems_are_one_error_line(tmp_path, capsys) -> None:
    assert main(["score-apibank", str(tmp_path / "missing.json"), "--level", "1"]) == 2
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    assert main(["score-apibank", str(empty), "--level", "2"]) == 2
    broken = tmp_path / "broken.json"
    broken.write_text('[{"file": "a", ')
    assert main(["score-apibank", str(broken), "--level", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)
    assert "not found" in err[0] and "empty" in err[1] and "not a valid JSON array" in err[2]


def test_json_array_files_are_read_as_the_dataset_ships_them(tmp_path) -> None:
    rows = _rows("level-3-batch-inf.json")[:4]
    path = tmp_path / "l3.json"
    path.write_text(json.dumps([{**r, "pred": r["output"]} for r in rows] + [5]))
    scores = score_rows(read_rows(path), 3)
    assert [s.valid for s in scores] == [True] * 4 + [False]
    assert scores[0].to_dict()["sample_id"] == rows[0]["sample_id"] and "api_id" in scores[0].to_dict()
    assert summary(scores)["api"]["call_accuracy"] == 1.0


# -- the env takes the official form too ------------------------------------------------------------
def _official_text(call) -> str:
    def value(v):
        return str(v) if isinstance(v, str) and v.isdigit() else repr(v)  # digits unquoted, as models write them
    return "API-Request: [" + call.name + "(" + ", ".join(f"{k}={value(v)}" for k, v in call.arguments.items()) + ")]"


def _hermes_numbers(call) -> str:
    args = {k: int(v) if isinstance(v, str) and v.isdigit() else v for k, v in call.arguments.items()}
    return "<tool_call>" + json.dumps({"name": call.name, "arguments": args}) + "</tool_call>"


@pytest.mark.parametrize("render", [_official_text, _hermes_numbers])
@pytest.mark.parametrize("scenario_id", ["L1-CancelRegistration-RecordHealthData-QueryRegistration-level-2-1",
                                         "L1-TimedSwitch-level-1-1"])
def test_env_episode_with_numbers_for_string_parameters_succeeds(scenario_id: str, render) -> None:
    from coalm_env.env import ConversationEnv

    env = ConversationEnv(domain="apibank", level=1, oracle_hints=True)
    obs, info = env.reset(seed=0, options={"scenario_id": scenario_id})
    sent = []
    while True:
        parsed = parse_action(info["oracle_action"])
        action = render(parsed.calls[0]) if parsed.kind == "tool_calls" else info["oracle_action"]
        sent.append(action)
        obs, reward, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    assert info["metrics"]["success"] == 1.0 and info["metrics"]["api_call_accuracy"] == 1.0
    if "CancelRegistration" in scenario_id:  # the id went as a bare number
        assert any(re.search(r"appointment_id\"?[=:] ?\d", a) for a in sent)
