"""Per-user calendar records: agendas, alarms, reminders and meetings (add, delete, modify, query).

Every record carries the ``username`` its token belongs to; a user only sees their own records.
A record is found by its text (content / meeting topic, case-insensitive) or, failing that, by its
time -- the dataset's queries often give a time that differs from the stored one (an agenda stored
as ``2023-03-18`` queried at ``2023-03-18 15:00:00``), so the text is the primary key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coalm_env.backend.store import StoreView
from coalm_env.domains.apibank.schema import check_time, fail, user_of

__all__ = ["HANDLERS"]


def _same_text(a: Any, b: Any) -> bool:
    return " ".join(str(a).lower().split()) == " ".join(str(b).lower().split())


def _next_key(state: StoreView, table: str) -> str:
    keys = [int(k) for k, _ in state.scan(table) if k.isdigit()]
    return str(max(keys, default=0) + 1)


def _find(state: StoreView, table: str, username: str, text_field: str | None, text: Any,
          time_field: str, time: Any) -> tuple[str, Mapping[str, Any]] | None:
    mine = [(k, r) for k, r in state.scan(table) if r.get("username") == username]
    if text_field is not None and text:
        for key, record in mine:
            if _same_text(record.get(text_field, ""), text):
                return key, record
    if time:
        for key, record in mine:
            if str(record.get(time_field, "")).strip() == str(time).strip():
                return key, record
    return None


def _require(found, what: str, text: Any, time: Any):
    if found is None:
        raise fail(f"You have no {what} about {text}" if text else f"You have no {what} at time : {time}", "not_found")
    return found


def _non_empty(value: Any, message: str) -> None:
    if not str(value or "").strip():
        raise fail(message, "invalid_arguments")


# -- agenda ----------------------------------------------------------------------------------
def add_agenda(state: StoreView, token: str, content: str, time: str, location: str) -> str:
    check_time(time)
    _non_empty(content, "Content should not be null")
    username = user_of(state, token)
    state.put("Agenda", _next_key(state, "Agenda"),
              {"content": content, "time": time, "location": location, "username": username})
    return "success"


def delete_agenda(state: StoreView, token: str, content: str = "", time: str = "", location: str = "") -> str:
    found = _require(_find(state, "Agenda", user_of(state, token), "content", content, "time", time),
                     "agenda", content, time)
    state.delete("Agenda", found[0])
    return "success"


def modify_agenda(state: StoreView, token: str, content: str, time: str = "", location: str = "") -> str:
    if time:
        check_time(time)
    key, record = _require(_find(state, "Agenda", user_of(state, token), "content", content, "time", time),
                           "agenda", content, time)
    changes = {k: v for k, v in (("content", content), ("time", time), ("location", location)) if v}
    state.put("Agenda", key, {**record, **changes})
    return "success"


def query_agenda(state: StoreView, token: str, content: str = "", time: str = "", location: str = "") -> dict:
    username = user_of(state, token)
    found = _find(state, "Agenda", username, "content", content, "time", time)
    if found is None and location:
        found = _find(state, "Agenda", username, "location", location, "time", "")
    return dict(_require(found, "agenda", content, time)[1])


# -- alarm -------------------------------------------------------------------------------------
def add_alarm(state: StoreView, token: str, time: str) -> str:
    time = check_time(time)
    state.put("Alarm", _next_key(state, "Alarm"), {"time": time, "username": user_of(state, token)})
    return "success"


def _alarm(state: StoreView, token: str, time: str) -> tuple[str, Mapping[str, Any]]:
    found = _find(state, "Alarm", user_of(state, token), None, None, "time", check_time(time))
    if found is None:
        raise fail(f"You have no alarm clock at time : {time}", "not_found")
    return found


def delete_alarm(state: StoreView, token: str, time: str) -> str:
    state.delete("Alarm", _alarm(state, token, time)[0])
    return "success"


def modify_alarm(state: StoreView, token: str, from_time: str, to_time: str) -> str:
    key, record = _alarm(state, token, from_time)
    state.put("Alarm", key, {**record, "time": check_time(to_time, param="to_time")})
    return "success"


def query_alarm(state: StoreView, token: str, time: str) -> dict:
    return dict(_alarm(state, token, time)[1])


# -- reminder -------------------------------------------------------------------------------
def add_reminder(state: StoreView, token: str, content: str, time: str) -> str:
    check_time(time)
    _non_empty(content, "Content should not be null")
    state.put("Reminder", _next_key(state, "Reminder"),
              {"content": content, "time": time, "username": user_of(state, token)})
    return "success"


def _reminder(state: StoreView, token: str, content: str, time: str):
    found = _find(state, "Reminder", user_of(state, token), "content", content, "time", time)
    return _require(found, "reminder", content, time)


def delete_reminder(state: StoreView, token: str, content: str = "", time: str = "") -> str:
    state.delete("Reminder", _reminder(state, token, content, time)[0])
    return "success"


def modify_reminder(state: StoreView, token: str, content: str, time: str) -> str:
    key, record = _reminder(state, token, content, check_time(time))
    state.put("Reminder", key, {**record, "content": content or record["content"], "time": time})
    return "success"


def query_reminder(state: StoreView, token: str, content: str = "", time: str = "") -> dict:
    return dict(_reminder(state, token, content, time)[1])


# -- meeting --------------------------------------------------------------------------------
def add_meeting(state: StoreView, token: str, meeting_topic: str, start_time: str, end_time: str,
                location: str, attendees: list) -> str:
    check_time(start_time, param="start_time")
    check_time(end_time, param="end_time")
    _non_empty(meeting_topic, "Meeting Topic should not be null")
    record = {"meeting_topic": meeting_topic, "start_time": start_time, "end_time": end_time,
              "location": location, "attendees": list(attendees), "username": user_of(state, token)}
    state.put("Meeting", _next_key(state, "Meeting"), record)
    return "success"


def _meeting(state: StoreView, token: str, topic: str, start_time: str):
    if not str(topic or "").strip() and not start_time:
        raise fail("Meeting Topic and start_time should not be null both", "invalid_arguments")
    found = _find(state, "Meeting", user_of(state, token), "meeting_topic", topic, "start_time", start_time)
    if found is None:
        raise fail(f"You have no meeting about {topic}" if topic else f"You have no meeting at time : {start_time}",
                   "not_found")
    return found


def delete_meeting(state: StoreView, token: str, meeting_topic: str = "", start_time: str = "",
                   end_time: str = "", location: str = "", attendees: Any = None) -> str:
    state.delete("Meeting", _meeting(state, token, meeting_topic, start_time)[0])
    return "success"


def modify_meeting(state: StoreView, token: str, meeting_topic: str, start_time: str = "", end_time: str = "",
                   location: str = "", attendees: Any = None) -> str:
    key, record = _meeting(state, token, meeting_topic, start_time)
    for value, param in ((start_time, "start_time"), (end_time, "end_time")):
        if value:
            check_time(value, param=param)
    changes = {"meeting_topic": meeting_topic, "start_time": start_time, "end_time": end_time, "location": location,
               "attendees": list(attendees) if attendees else None}
    state.put("Meeting", key, {**record, **{k: v for k, v in changes.items() if v}})
    return "success"


def query_meeting(state: StoreView, token: str, meeting_topic: str = "", start_time: str = "",
                  end_time: str = "", location: str = "", attendees: Any = None) -> dict:
    return dict(_meeting(state, token, meeting_topic, start_time)[1])


HANDLERS = {
    "AddAgenda": (add_agenda, True), "DeleteAgenda": (delete_agenda, True),
    "ModifyAgenda": (modify_agenda, True), "QueryAgenda": (query_agenda, False),
    "AddAlarm": (add_alarm, True), "DeleteAlarm": (delete_alarm, True),
    "ModifyAlarm": (modify_alarm, True), "QueryAlarm": (query_alarm, False),
    "AddReminder": (add_reminder, True), "DeleteReminder": (delete_reminder, True),
    "ModifyReminder": (modify_reminder, True), "QueryReminder": (query_reminder, False),
    "AddMeeting": (add_meeting, True), "DeleteMeeting": (delete_meeting, True),
    "ModifyMeeting": (modify_meeting, True), "QueryMeeting": (query_meeting, False),
}
