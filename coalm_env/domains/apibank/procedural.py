"""Procedural API-Bank tasks from the API graph: ``coalm/APIBank-Procedural-v0`` (issue 11).

A task is a plan drawn from the level's :func:`~coalm_env.domains.apibank.graph.build_graph` by the
domain-free generator (:mod:`coalm_env.backend.generate`), bound to values of the official initial
databases (existing users and passwords, agendas, appointments, scenes, stock dates, wiki pages, the
level-3 recorded inputs) or plausible fresh values for create calls, and executed on a fresh backend
for the gold results and the gold end state.

Plans
-----
* Levels 1 and 2 draw a *family* first (agenda, reminder, alarm, meeting, account: ``GetUserToken``
  feeding the token-taking APIs; ``register``: ``RegisterUser``'s new token feeding them;
  appointment: ``AppointmentRegistration``'s id feeding its modify/cancel; home, health, info:
  independent calls) and sample the skeleton inside it, so create-then-query-then-modify chains on
  one record appear (the binder prefers records the plan itself created). Level 2 inserts a
  ``ToolSearcher`` step before the first call of each API (the agent must retrieve it first; an API
  taking a token retrieves ``GetUserToken`` with it, as the original searcher does).
* Level 3 samples the level-3 data chains (``Geocoding -> GetWeatherForCoordinates ->
  ClothingRecommendation``, ``OrganizationMembers -> AddMeeting``, ``QueryMeeting -> EmailReminder``,
  ...) and joins two of them when one chain cannot reach ``n_calls``; its lookups answer recorded
  inputs only (see :mod:`.apis_lv3`), so every bound lookup is one the dataset records.

Goal
----
``user_turns``: the requests in natural language, split over ``n_user_turns`` turns; each free
argument is a fact the user knows and states in its request, unless held back (``p_held_back``):
then a later *fact turn* states it, and the ``apibank_goal`` user gives it when the agent asks for it
(by the parameter's words) or once its requests are all said. ``meta["must_tell"]``: read results
the user must be told; ``meta["infeasible"]``: sub-goals no API can do (``no_api``) or that fail on
the data (``fails``, e.g. a stock code or a wiki page that does not exist), said in the first turn;
the agent must say it cannot. ``meta`` has the layout :mod:`.samples` produces (``steps``,
``replies``, ``apis``, ``level``), so :func:`~.scoring.score_episode`, the oracle and the users work
unchanged.

Metrics (on top of API-Bank's): ``calls_success`` (every gold call reproduced, API-Bank's
``success``), ``infeasible_declined`` (every infeasible sub-goal answered with a refusal: a reply
with "cannot", "unable", "not possible", "no API", ...), ``results_told`` (share of ``must_tell``
values said in the agent's replies) and ``success`` = calls_success and infeasible_declined.

Splits are disjoint by plan skeleton (:func:`~coalm_env.backend.generate.split_of`; the same
skeleton is in the same split at levels 1 and 2), and no task equals a benchmark dialogue (the gold
calls as a multiset of ``(API, normalized arguments)`` differ from every dialogue's at the level).
Every scenario is a pure function of ``(VERSION, level, knobs, seed, split, index)``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np

from coalm_env.backend.generate import (
    Edge,
    ExecutedPlan,
    LazyScenarios,
    Skeleton,
    execute_skeleton,
    sample_skeleton,
    scenario_rng,
    split_of,
)
from coalm_env.backend.graph import ApiGraph, BackendSession
from coalm_env.backend.plan import argument_key
from coalm_env.domains.apibank.domain import APIBankDomain
from coalm_env.domains.apibank.graph import build_graph, tool_searcher
from coalm_env.domains.apibank.manual_procedural import MANUAL
from coalm_env.domains.apibank.resources import base_store, recordings, reference
from coalm_env.domains.apibank.retriever import retrieved_names
from coalm_env.domains.apibank.samples import load_scenarios
from coalm_env.domains.apibank.session import run_on_copy
from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.types import Gold, GoldCall, Scenario, ToolCall, Trajectory

__all__ = ["APIBankProceduralDomain", "VERSION", "KNOBS", "SPLIT_SIZES", "FAMILIES", "benchmark_keys",
           "task_key", "generate_scenario", "declines"]

#: generator version: bump when the same coordinates would give another scenario
VERSION = 1
#: knob defaults
KNOBS: Mapping[str, Any] = {"n_calls": 3, "max_depth": None, "n_user_turns": 1, "n_distractors": 2,
                            "p_held_back": 0.0, "p_infeasible": 0.0}
#: pool size per split (``generate(split, i)`` works for any ``i >= 0``)
SPLIT_SIZES: Mapping[str, int] = {"train": 1_000_000, "val": 1_000, "test": 1_000}
_SALT = "apibank"
_MAX_ATTEMPTS = 400
_MAX_CACHED = 10_000  # built scenarios kept per split pool
_MAX_CALLS = 8

_TOKEN = ("GetUserToken",)
#: level-1/2 families: the APIs one plan may use
FAMILIES: Mapping[str, tuple[str, ...]] = {
    "agenda": (*_TOKEN, "AddAgenda", "QueryAgenda", "ModifyAgenda", "DeleteAgenda"),
    "reminder": (*_TOKEN, "AddReminder", "QueryReminder", "ModifyReminder", "DeleteReminder"),
    "alarm": (*_TOKEN, "AddAlarm", "QueryAlarm", "ModifyAlarm", "DeleteAlarm"),
    "meeting": (*_TOKEN, "AddMeeting", "QueryMeeting", "ModifyMeeting", "DeleteMeeting"),
    "account": (*_TOKEN, "CheckToken", "QueryBalance", "ModifyPassword", "DeleteAccount", "QueryAgenda",
                "QueryReminder", "QueryAlarm", "QueryMeeting"),
    "register": ("RegisterUser", "AddAgenda", "AddReminder", "AddAlarm", "AddMeeting", "CheckToken"),
    "appointment": ("AppointmentRegistration", "ModifyRegistration", "CancelRegistration", "QueryRegistration"),
    "home": ("AddScene", "QueryScene", "ModifyScene", "DeleteScene", "TimedSwitch", "CancelTimedSwitch",
             "PlayMusic"),
    "health": ("RecordHealthData", "QueryHealthData", "SymptomSearch", "EmergencyKnowledge",
               "AppointmentRegistration", "QueryRegistration"),
    "info": ("Calculator", "QueryStock", "QueryHistoryToday", "Wiki", "SearchEngine", "ImageCaption",
             "SpeechRecognition", "DocumentQA", "GetToday", "Dictionary", "Translate", "SendEmail", "BookHotel",
             "OpenBankAccount"),
}
_PRODUCERS = ("GetUserToken", "RegisterUser")  # support steps: the user gives credentials, not an intent

#: short request phrases ("Please <phrase> (...)")
_PHRASES: Mapping[str, str] = {
    "GetUserToken": "log me in", "RegisterUser": "register a new account for me",
    "CheckToken": "check which account my login belongs to", "QueryBalance": "tell me my account balance",
    "ModifyPassword": "change my password", "DeleteAccount": "delete my account",
    "AddAgenda": "add an item to my agenda", "QueryAgenda": "look up this item of my agenda",
    "ModifyAgenda": "change this agenda item", "DeleteAgenda": "remove this item from my agenda",
    "AddReminder": "set a reminder", "QueryReminder": "look up this reminder",
    "ModifyReminder": "move this reminder", "DeleteReminder": "delete this reminder",
    "AddAlarm": "set an alarm", "QueryAlarm": "check my alarm", "ModifyAlarm": "move my alarm",
    "DeleteAlarm": "cancel my alarm", "AddMeeting": "schedule a meeting",
    "QueryMeeting": "look up this meeting", "ModifyMeeting": "update this meeting",
    "DeleteMeeting": "cancel this meeting",
    "AppointmentRegistration": "book a doctor's appointment", "QueryRegistration": "look up the appointments",
    "ModifyRegistration": "change the appointment", "CancelRegistration": "cancel the appointment",
    "AddScene": "create a smart-home scene", "QueryScene": "show me the devices of this scene",
    "ModifyScene": "change the devices of this scene", "DeleteScene": "delete this scene",
    "TimedSwitch": "schedule this device to switch", "CancelTimedSwitch": "cancel the timed switch of this device",
    "PlayMusic": "play some music", "RecordHealthData": "record my health data",
    "QueryHealthData": "show my health data", "SymptomSearch": "tell me what this symptom could mean",
    "EmergencyKnowledge": "tell me the first aid for this symptom", "Calculator": "calculate this",
    "QueryStock": "tell me the stock price", "QueryHistoryToday": "tell me what happened in history on this day",
    "Wiki": "look this up on Wikipedia", "SearchEngine": "search the web for this",
    "ImageCaption": "describe this image", "SpeechRecognition": "transcribe this audio",
    "DocumentQA": "answer a question about this document", "GetToday": "tell me today's date",
    "Dictionary": "look up this word in the dictionary", "Translate": "translate this",
    "SendEmail": "send an email", "BookHotel": "book a hotel", "OpenBankAccount": "open a bank account",
    # level 3
    "AccountInfo": "show my account information", "ClothingRecommendation": "recommend clothes for the weather",
    "EmailReminder": "send an email reminder", "FlightSearch": "search for flights",
    "Geocoding": "find the coordinates of this place", "GetOccupationSalary": "tell me the salary of this job",
    "GetWeatherForCoordinates": "tell me the weather at these coordinates",
    "HotelAvailability": "check hotel availability", "LikeCount": "tell me how many likes this post has",
    "MovieRecommendations": "recommend movies", "NearbyRestaurants": "find restaurants nearby",
    "OrganizationMembers": "list the members of this organization", "TaxCalculator": "calculate the tax",
    "TravelStatus": "tell me the travel status", "PersonalInfoUpdate": "update my address",
    "UserPosts": "list the posts of this user", "UserWatchedMovies": "list the movies this user watched",
    "UserMoviePreferences": "tell me the movie preferences of this user",
}

_NO_API = ("book a taxi to the airport for tomorrow morning", "order a large pizza for delivery",
           "transfer 200 dollars to my brother's bank account", "buy two tickets for tonight's concert",
           "renew my driving licence", "reserve a table for four at an Italian restaurant",
           "buy a train ticket to Boston", "cancel my phone contract", "pay my electricity bill",
           "order a new pair of running shoes")
_DECLINE = re.compile(r"\b(cannot|can ?not|can't|can’t|unable|not able|not possible|isn't possible|impossible|"
                      r"no api|not supported|isn't supported|don't have (?:an? )?(?:api|tool|way)|"
                      r"do not have (?:an? )?(?:api|tool|way)|couldn't|could not|failed|not available)\b", re.I)


def declines(text: str) -> bool:
    """Whether a reply says the assistant cannot do something (the infeasible sub-goal check)."""
    return bool(_DECLINE.search(text or ""))


# -- value pools ------------------------------------------------------------------------------------
_FIRST = ("Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Sofia", "Mateo", "Chloe", "Aiden",
          "Zoe", "Ryan", "Nora", "Daniel", "Leah", "Samuel", "Ivy", "Owen")
_LAST = ("Garcia", "Patel", "Nguyen", "Murphy", "Rossi", "Kowalski", "Tanaka", "Okafor", "Silva", "Larsen")
_AGENDA = ("Dentist appointment", "Team lunch", "Piano lesson", "Car service", "Book club", "Yoga class",
           "Parent-teacher meeting", "Visit grandma", "Project review", "Haircut", "Farmers market",
           "Volunteer shift")
_REMIND = ("Pay the water bill", "Call the plumber", "Water the plants", "Pick up dry cleaning", "Renew passport",
           "Buy a birthday gift", "Submit the expense report", "Return library books", "Book flights for summer")
_TOPICS = ("Budget Review", "Quarterly Planning", "Design Sync", "Hiring Committee", "Product Launch",
           "Customer Feedback", "Security Audit", "Marketing Kickoff")
_PLACES = ("Main Street Clinic", "Central Park", "City Library", "Room 204", "Riverside Cafe", "Conference Room B",
           "Town Hall", "Community Center", "Westfield Mall", "Oak Street Office")
_HOTELS = ("Hilton", "Marriott", "Holiday Inn", "Hyatt Regency", "Four Seasons", "Radisson Blu")
_MUSIC = ("Shape of You", "Bohemian Rhapsody", "Hey Jude", "Imagine", "Hotel California", "Clair de Lune")
_SCENES = ("movie night", "reading time", "good morning", "party mode", "bedtime", "work from home")
_DEVICES = ("light", "air conditioner", "sound system", "curtains", "tv", "fan", "heater", "coffee maker")
_SUBJECTS = ("Weekly update", "Dinner on Friday", "Invoice question", "Travel plans", "Thank you")
_BODIES = ("Please find the summary attached.", "Are you free on Friday evening?", "Could you resend the invoice?",
           "Let's finalise the itinerary this week.", "Thanks again for your help yesterday.")
_FAKE = {"Wiki": ("keyword", ("underwater basket weaving", "quantum knitting", "lunar gardening")),
         "QueryStock": ("stock_code", ("ZZQX", "QQQW", "XYZW")),
         "SymptomSearch": ("symptom", ("glowing skin", "purple tongue", "itchy elbows")),
         "QueryScene": ("name", ("disco mode", "winter garden", "zen corner")),
         # level 3 (recorded inputs only)
         "Geocoding": ("address", ("Atlantis", "Springfield", "El Dorado")),
         "OrganizationMembers": ("organization", ("Nokia", "Initech", "Globex")),
         "GetOccupationSalary": ("occupation", ("Astronaut", "Beekeeper", "Lighthouse Keeper"))}


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def _day(rng: np.random.Generator) -> str:
    return (date(2023, 4, 1) + timedelta(days=int(rng.integers(270)))).isoformat()


def _moment(rng: np.random.Generator) -> str:
    return f"{_day(rng)} {int(rng.integers(7, 21)):02d}:{_pick(rng, (0, 15, 30, 45)):02d}:00"


def _person(rng: np.random.Generator) -> str:
    return f"{_pick(rng, _FIRST)} {_pick(rng, _LAST)}"


def _secret(rng: np.random.Generator) -> str:
    return f"{_pick(rng, ('maple', 'river', 'falcon', 'cobalt', 'sunny', 'tiger'))}{int(rng.integers(100, 9999))}"


# -- the binder ------------------------------------------------------------------------------------
class _Binder:
    """Binds a plan's free arguments from the episode state (the initial databases plus the plan's own
    writes) and fresh values; ``None`` when a step cannot be bound (the attempt is retried)."""

    def __init__(self, level: int, skeleton: Skeleton):
        self.level = level
        self.skeleton = skeleton
        self.base = base_store().view()

    # helpers
    def _user(self, state: Any, results: Sequence[Any], step: int) -> str | None:
        edge = self.skeleton.sourced(step).get("token")
        if edge is None or not results[edge.source].ok:
            return None
        token = results[edge.source].value.get("token")
        return next((u for u, r in state.scan("Account") if r.get("token") == token), None)

    def _records(self, state: Any, table: str, username: str | None) -> list[tuple[str, Any]]:
        mine = [(k, dict(r)) for k, r in state.scan(table) if username is None or r.get("username") == username]
        created = [(k, r) for k, r in mine if self.base.get(table, k) != r]  # written by this plan: preferred
        return created or mine

    def _record(self, rng, state, results, step, table):
        records = self._records(state, table, self._user(state, results, step))
        return _pick(rng, records)[1] if records else None

    # accounts
    def _GetUserToken(self, rng, state, results, step):
        users = [(u, r) for u, r in state.scan("Account")]
        username, record = _pick(rng, users)
        return {"username": username, "password": record["password"]}

    def _RegisterUser(self, rng, state, results, step):
        username = f"{_pick(rng, _FIRST).lower()}{int(rng.integers(10, 99))}"
        if state.get("Account", username) is not None:
            return None
        return {"username": username, "password": _secret(rng), "email": f"{username}@example.com"}

    def _ModifyPassword(self, rng, state, results, step):
        user = self._user(state, results, step)
        if user is None:
            return None
        return {"old_password": state.get("Account", user)["password"], "new_password": _secret(rng)}

    def _OpenBankAccount(self, rng, state, results, step):
        return {"account": str(int(rng.integers(10**7, 10**8))), "password": _secret(rng), "name": _person(rng)}

    # calendar
    def _AddAgenda(self, rng, state, results, step):
        return {"content": _pick(rng, _AGENDA), "time": _day(rng), "location": _pick(rng, _PLACES)}

    def _QueryAgenda(self, rng, state, results, step):
        r = self._record(rng, state, results, step, "Agenda")
        return None if r is None else {"content": r["content"], "time": r["time"], "location": r["location"]}

    _DeleteAgenda = _QueryAgenda

    def _ModifyAgenda(self, rng, state, results, step):
        r = self._record(rng, state, results, step, "Agenda")
        return None if r is None else {"content": r["content"], "time": _day(rng), "location": _pick(rng, _PLACES)}

    def _AddReminder(self, rng, state, results, step):
        return {"content": _pick(rng, _REMIND), "time": _moment(rng)}

    def _QueryReminder(self, rng, state, results, step):
        r = self._record(rng, state, results, step, "Reminder")
        return None if r is None else {"content": r["content"], "time": r["time"]}

    _DeleteReminder = _QueryReminder

    def _ModifyReminder(self, rng, state, results, step):
        r = self._record(rng, state, results, step, "Reminder")
        return None if r is None else {"content": r["content"], "time": _moment(rng)}

    def _AddAlarm(self, rng, state, results, step):
        return {"time": _moment(rng)}

    def _QueryAlarm(self, rng, state, results, step):
        r = self._record(rng, state, results, step, "Alarm")
        return None if r is None else {"time": r["time"]}

    _DeleteAlarm = _QueryAlarm

    def _ModifyAlarm(self, rng, state, results, step):
        r = self._record(rng, state, results, step, "Alarm")
        return None if r is None else {"from_time": r["time"], "to_time": _moment(rng)}

    def _AddMeeting(self, rng, state, results, step):
        start = _moment(rng)
        end = start[:11] + f"{min(int(start[11:13]) + 1 + int(rng.integers(2)), 23):02d}" + start[13:]
        people = sorted({_person(rng) for _ in range(int(rng.integers(2, 4)))})
        return {"meeting_topic": _pick(rng, _TOPICS), "start_time": start, "end_time": end,
                "location": _pick(rng, _PLACES), "attendees": people}

    def _QueryMeeting(self, rng, state, results, step):
        r = self._record(rng, state, results, step, "Meeting")
        if r is None:
            return None
        return {k: r[k] for k in ("meeting_topic", "start_time", "end_time", "location", "attendees")}

    _DeleteMeeting = _QueryMeeting

    def _ModifyMeeting(self, rng, state, results, step):
        r = self._record(rng, state, results, step, "Meeting")
        if r is None:
            return None
        new = self._AddMeeting(rng, state, results, step)
        return {**new, "meeting_topic": r["meeting_topic"], "attendees": list(r["attendees"])}

    # health
    def _doctors(self) -> list[str]:
        return sorted({r["doctor_name"] for _, r in self.base.scan("Appointments")})

    def _AppointmentRegistration(self, rng, state, results, step):
        return {"patient_name": _person(rng), "date": _day(rng), "doctor_name": _pick(rng, self._doctors())}

    def _appointment(self, rng, state):
        records = self._records(state, "Appointments", None)
        return _pick(rng, records) if records else None

    def _QueryRegistration(self, rng, state, results, step):
        found = self._appointment(rng, state)
        return None if found is None else {"patient_name": found[1]["patient_name"], "date": found[1]["date"]}

    def _ModifyRegistration(self, rng, state, results, step):
        found = self._appointment(rng, state)
        return None if found is None else {"appointment_id": found[0], "new_appointment_date": _day(rng),
                                           "new_appointment_doctor": _pick(rng, self._doctors())}

    def _CancelRegistration(self, rng, state, results, step):
        found = self._appointment(rng, state)
        return None if found is None else {"appointment_id": found[0]}

    def _RecordHealthData(self, rng, state, results, step):
        user = _pick(rng, [k for k, _ in state.scan("HealthData")])
        data = [{"name": "blood_pressure", "value": f"{int(rng.integers(105, 140))}/{int(rng.integers(65, 90))}"},
                {"name": "heart_rate", "value": str(int(rng.integers(55, 100)))}]
        return {"user_id": user, "time": _moment(rng), "health_data": data}

    def _QueryHealthData(self, rng, state, results, step):
        rows = [(k, r) for k, v in state.scan("HealthData") for r in v["records"]]
        created = [(k, r) for k, r in rows if self.base.get("HealthData", k) is None
                   or r not in self.base.get("HealthData", k)["records"]]
        user, record = _pick(rng, created or rows)
        day = date.fromisoformat(record["time"][:10])
        return {"user_id": user, "start_time": f"{day - timedelta(days=int(rng.integers(1, 4)))} 00:00:00",
                "end_time": f"{day + timedelta(days=int(rng.integers(1, 4)))} 00:00:00"}

    def _SymptomSearch(self, rng, state, results, step):
        return {"symptom": _pick(rng, sorted(reference()["Symptom"]))}

    _EmergencyKnowledge = _SymptomSearch

    # home
    def _AddScene(self, rng, state, results, step):
        name = _pick(rng, _SCENES)
        if state.get("Scenes", name) is not None:
            return None
        devices = [str(d) for d in rng.choice(_DEVICES, size=int(rng.integers(2, 4)), replace=False)]
        return {"name": name, "devices": devices}

    def _scene(self, rng, state):
        records = self._records(state, "Scenes", None)
        return _pick(rng, records)[0] if records else None

    def _QueryScene(self, rng, state, results, step):
        name = self._scene(rng, state)
        return None if name is None else {"name": name}

    _DeleteScene = _QueryScene

    def _ModifyScene(self, rng, state, results, step):
        name = self._scene(rng, state)
        devices = [str(d) for d in rng.choice(_DEVICES, size=int(rng.integers(2, 4)), replace=False)]
        return None if name is None else {"name": name, "devices": devices}

    def _TimedSwitch(self, rng, state, results, step):
        return {"name": _pick(rng, sorted(k for k, _ in state.scan("TimeSwitch"))), "time": _moment(rng),
                "on": bool(rng.integers(2))}

    def _CancelTimedSwitch(self, rng, state, results, step):
        pairs = [(k, s["time"]) for k, r in self._records(state, "TimeSwitch", None) for s in r["switches"]]
        if not pairs:
            return None
        device, time = _pick(rng, pairs)
        return {"name": device, "time": time}

    def _PlayMusic(self, rng, state, results, step):
        return {"music_name": _pick(rng, _MUSIC)}

    # info
    def _Calculator(self, rng, state, results, step):
        a, b, c = (int(x) for x in rng.integers(2, 400, size=3))
        return {"formula": _pick(rng, (f"({a}+{b})*{c % 12 + 2}", f"{a}*{b}-{c}", f"({a}-{b})/{c % 9 + 1}",
                                       f"{a}+{b}+{c}"))}

    def _QueryStock(self, rng, state, results, step):
        code = _pick(rng, sorted(reference()["Stock"]))
        return {"stock_code": code, "date": _pick(rng, sorted(reference()["Stock"][code]))}

    def _QueryHistoryToday(self, rng, state, results, step):
        return {"date": _pick(rng, sorted(reference()["History"]))}

    def _Wiki(self, rng, state, results, step):
        return {"keyword": _pick(rng, sorted(reference()["Wiki"]))}

    def _SearchEngine(self, rng, state, results, step):
        return {"keyword": _pick(rng, sorted(reference()["Wiki"]))}

    def _ImageCaption(self, rng, state, results, step):
        return {"url": _pick(rng, sorted(reference()["ImageCaptioning"]))}

    def _SpeechRecognition(self, rng, state, results, step):
        return {"url": _pick(rng, sorted(reference()["SpeechRecognition"]))}

    def _DocumentQA(self, rng, state, results, step):
        url = _pick(rng, sorted(reference()["QuestionAnswering"]))
        return {"url": url, "question": _pick(rng, reference()["QuestionAnswering"][url])["question"]}

    def _GetToday(self, rng, state, results, step):
        return {}

    def _recorded(self, name: str, rng) -> dict[str, Any] | None:
        inputs = recordings("lv3" if self.level == 3 else "lv12").inputs(name)
        return dict(_pick(rng, inputs)) if inputs else None

    def _Dictionary(self, rng, state, results, step):
        return self._recorded("Dictionary", rng)

    def _Translate(self, rng, state, results, step):
        found = self._recorded("Translate", rng)
        return None if found is None else {k: v for k, v in found.items() if k in ("src", "tgt_lang")}

    def _SendEmail(self, rng, state, results, step):
        receiver = _pick(rng, sorted(r["email"] for _, r in state.scan("Account")))
        return {"receiver": receiver, "subject": _pick(rng, _SUBJECTS), "content": _pick(rng, _BODIES)}

    def _BookHotel(self, rng, state, results, step):
        start = date.fromisoformat(_day(rng))
        return {"hotel_name": _pick(rng, _HOTELS), "check_in_time": start.isoformat(),
                "check_out_time": (start + timedelta(days=int(rng.integers(1, 6)))).isoformat(),
                "room_count": int(rng.integers(1, 3)), "adult_count": int(rng.integers(1, 5)),
                "child_count": int(rng.integers(0, 3))}

    # level 3: lookups answer recorded inputs; writers take fresh values
    def _lv3(self, name, free, rng, state, results):
        if not free:
            return {}
        return self._recorded(name, rng)

    def _lv3_AddMeeting(self, rng, state, results, step):
        start = _moment(rng)
        end = start[:11] + f"{min(int(start[11:13]) + 1, 23):02d}" + start[13:]
        return {"meeting_topic": _pick(rng, _TOPICS), "start_time": start, "end_time": end,
                "location": _pick(rng, _PLACES), "attendees": sorted({_pick(rng, _FIRST) for _ in range(2)})}

    def _lv3_EmailReminder(self, rng, state, results, step):
        return {"content": f"Reminder: {_pick(rng, _TOPICS)}. Please be on time.", "time": _moment(rng),
                "location": _pick(rng, _PLACES), "recipient": f"{_pick(rng, _FIRST).lower()}@example.com"}

    def _lv3_PersonalInfoUpdate(self, rng, state, results, step):
        found = self._recorded("AccountInfo", rng)
        if found is None:
            return None
        return {**found, "address": f"{int(rng.integers(10, 999))} {_pick(rng, ('Oak', 'Pine', 'Elm', 'Cedar'))} St"}

    def _lv3_TaxCalculator(self, rng, state, results, step):
        return {"salary": int(rng.integers(40, 250)) * 1000}



def _binder_fn(binder: _Binder, name: str):
    if binder.level == 3:
        return getattr(binder, f"_lv3_{name}", None) or (binder._Calculator if name == "Calculator" else None)
    return getattr(binder, f"_{name}", None)


def _bind(binder: _Binder):
    def bind(step, name, free, rng, state, results):
        if "token" in free:
            return None  # a token only comes from GetUserToken / RegisterUser
        fn = _binder_fn(binder, name)
        if fn is None:
            if binder.level == 3:
                out = binder._lv3(name, free, rng, state, results)
            else:
                out = {} if not free else None
        else:
            out = fn(rng, state, results, step)
        return None if out is None else {k: v for k, v in out.items() if k in free}

    return bind


# -- benchmark duplicates ----------------------------------------------------------------------------
def task_key(steps: Sequence[Mapping[str, Any]]) -> str:
    """The content of a task: its non-ToolSearcher calls as a sorted multiset of ``(API, normalized
    arguments)`` (order-insensitive, so a reordering of a benchmark dialogue is a duplicate too)."""
    calls = sorted(json.dumps([s["name"], argument_key(dict(s["input"]))], default=str, sort_keys=True)
                   for s in steps if s["name"] != "ToolSearcher")
    return json.dumps(calls)


@functools.cache
def benchmark_keys(level: int) -> frozenset[str]:
    """:func:`task_key` of every benchmark dialogue sharing ``level``'s APIs (levels 1 and 2 together)."""
    levels = (3,) if level == 3 else (1, 2)
    return frozenset(task_key(s.meta["steps"]) for lv in levels for s in load_scenarios(lv))


# -- generation -------------------------------------------------------------------------------------
def _merge(a: Skeleton, b: Skeleton) -> Skeleton:
    shift = len(a.calls)
    return Skeleton(a.calls + b.calls, a.edges + tuple(Edge(e.source + shift, e.field, e.target + shift, e.param)
                                                       for e in b.edges))


def _has_edges(graph: ApiGraph, pool: Sequence[str]) -> bool:
    g = graph.graph
    names = set(pool)
    return any(t in names and t != n and g.edges[n, t].get("fields") for n in pool for t in g.successors(n))


def _skeleton(graph: ApiGraph, level: int, rng: np.random.Generator, n_calls: int,
              max_depth: int | None) -> Skeleton | None:
    if level == 3:
        pool = [n for n in graph.names if n != "ToolSearcher"]
        sk = sample_skeleton(graph, rng, n_calls, max_depth, allowed=pool)
        if n_calls < 2 or sk is not None and rng.random() < 0.5:
            return sk  # else two shorter sub-plans joined (the level-3 chains are few and short)
        k = int(rng.integers(1, n_calls)) if n_calls > 1 else 0
        if k == 0:
            return sk
        a = sample_skeleton(graph, rng, k, max_depth, allowed=pool)
        if a is None:
            return sk
        b = sample_skeleton(graph, rng, n_calls - k, max_depth, allowed=[n for n in pool if n not in a.calls])
        return sk if b is None else _merge(a, b)
    family = FAMILIES[_pick(rng, sorted(FAMILIES))]
    depth = max_depth if _has_edges(graph, family) else 0
    return sample_skeleton(graph, rng, n_calls, depth, allowed=family)


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


def _label(param: str) -> str:
    return param.replace("_", " ")


def _say(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(_say(v.get("name", v) if isinstance(v, dict) and "value" not in v else
                              f"{v['name']} {v['value']}" if isinstance(v, dict) else v) for v in value)
    return str(value)


def _sayable(value: Any) -> bool:
    """Facts that can be held back: scalars the user can state verbatim (see ``_said_verbatim``)."""
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and len(str(value)) >= 2


def _request(name: str, said: Mapping[str, Any]) -> str:
    phrase = _PHRASES.get(name, re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower())
    if name == "GetUserToken":
        parts = [f"my {_label(p)} is {_say(v)}" for p, v in said.items()]
        return ("I'd like to use my account: " + " and ".join(parts) + ".") if parts else "I'd like to use my account."
    if not said:
        return f"Please {phrase}."
    return f"Please {phrase} ({'; '.join(f'{_label(p)}: {_say(v)}' for p, v in said.items())})."


def _leaves(value: Any, out: list[Any]) -> list[Any]:
    if isinstance(value, dict):
        for v in value.values():
            _leaves(v, out)
    elif isinstance(value, list):
        for v in value:
            _leaves(v, out)
    elif _sayable(value) and str(value).lower() not in ("success",):
        out.append(value)
    return out


def _summary(name: str, output: Any) -> str:
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    if isinstance(output, str) and output.lower() == "success" or output is None:
        return f"{words}: done."
    return f"{words}: {_plain(output)}"


def _plain(value: Any) -> str:
    """A result as plain text (every scalar verbatim, unlike JSON, which escapes quotes)."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _must_tell(name: str, graph: ApiGraph, output: Any) -> list[Any]:
    if name in _PRODUCERS or name == "ToolSearcher" or graph.spec(name).writes:
        return []
    return _leaves(output, [])[:3]


def _retrieval_order(steps: Sequence[str], level: int) -> list[tuple[int, str]]:
    """``(before step i, keywords)`` for each ToolSearcher call a level-2/3 plan needs."""
    if level == 1:
        return []
    searcher = tool_searcher(level)
    revealed: set[str] = set()
    out = []
    for i, name in enumerate(steps):
        if name in revealed:
            continue
        target = name
        if name == "GetUserToken":  # retrieved with the first token-taking API, as the original does
            target = next((n for n in steps[i + 1:] if "token" in searcher.descriptions.get(n, {}).get(
                "input_parameters", {})), name)
        out.append((i, target))
        revealed |= set(retrieved_names(searcher.search(target)))
    return out


def _infeasible(level: int, graph: ApiGraph, session: BackendSession, plan_apis: Sequence[str],
                rng: np.random.Generator) -> dict[str, Any] | None:
    kinds = ["no_api", "fails"]
    kind = _pick(rng, kinds)
    if kind == "fails":
        options = [n for n in _FAKE if n in graph and (level == 3) == (n in ("Geocoding", "OrganizationMembers",
                                                                             "GetOccupationSalary"))]
        name = _pick(rng, options)
        param, values = _FAKE[name]
        binder = _Binder(level, Skeleton((name,)))
        free = _bind(binder)(0, name, list(graph.spec(name).parameters["properties"]), rng, session.state, [])
        if free is None:
            return None
        args = {**free, param: _pick(rng, values)}
        store = base_store()
        outcome = run_on_copy(graph, store, session.state, ToolCall(name=name, arguments=args))
        if outcome["exception"] is None:
            return None
        return {"kind": "fails", "request": _request(name, args), "call": {"name": name, "arguments": args},
                "error": outcome["exception"]}
    return {"kind": "no_api", "request": f"Please {_pick(rng, _NO_API)}."}


def generate_scenario(level: int, knobs: Mapping[str, Any], seed: int, split: str, index: int) -> Scenario:
    """Scenario ``index`` of ``split``: a pure function of ``(VERSION, level, knobs, seed, split, index)``."""
    graph = build_graph(level)
    store = base_store()
    options = {"level": level, **knobs}
    bench = benchmark_keys(level)
    for attempt in range(_MAX_ATTEMPTS):
        rng = scenario_rng(VERSION, options, seed, split, index, attempt)
        sk = _skeleton(graph, level, rng, int(knobs["n_calls"]), knobs["max_depth"])
        if sk is None or split_of(sk.key(), salt=_SALT) != split:
            continue
        plan = execute_skeleton(sk, _bind(_Binder(level, sk)), lambda: BackendSession(graph, store.view()), rng)
        if plan is None:
            continue
        scenario = _build(level, graph, knobs, seed, split, index, attempt, plan, rng)
        if scenario is not None and task_key(scenario.meta["steps"]) not in bench:
            return scenario
    raise ConfigError(f"no API-Bank level-{level} {split} task with knobs {dict(knobs)} after {_MAX_ATTEMPTS} "
                    f"attempts (index {index})", hint="lower n_calls or raise max_depth")


def _build(level: int, graph: ApiGraph, knobs: Mapping[str, Any], seed: int, split: str, index: int, attempt: int,
           plan: ExecutedPlan, rng: np.random.Generator) -> Scenario | None:
    names = list(plan.skeleton.calls)
    # requests: support steps (credentials) join the next intent; intents split into n_user_turns groups
    intents = [i for i, n in enumerate(names) if n not in _PRODUCERS] or [len(names) - 1]
    n_turns = max(1, min(int(knobs["n_user_turns"]), len(intents)))
    bounds = [intents[round(k * len(intents) / n_turns)] for k in range(1, n_turns)]
    group = [sum(1 for b in bounds if i >= b) for i in range(len(names))]
    held: dict[int, dict[str, Any]] = {}
    said: dict[int, dict[str, Any]] = {}
    p_held = float(knobs["p_held_back"])
    for i, free in enumerate(plan.free):
        said[i], held[i] = {}, {}
        for j, (param, value) in enumerate(free.items()):
            hold = j > 0 and _sayable(value) and p_held > 0 and rng.random() < p_held
            (held[i] if hold else said[i])[param] = value
    spoken = {str(v) for d in said.values() for v in d.values()}
    for i in held:  # a value the user says for another parameter is not held back (a password given twice)
        for param in [p for p, v in held[i].items() if str(v) in spoken]:
            said[i][param] = held[i].pop(param)
    # a value taken from one item of an earlier list result is named in the request (which one is the user's
    # choice); a whole earlier result (a token, coordinates) is not
    picked = {i: {p: plan.calls[i].arguments[p] for p, (_, path) in g.sources.items()
                  if re.search(r"(^|\.)\d+(\.|$)", path) and _sayable(plan.calls[i].arguments[p])}
              for i, g in enumerate(plan.gold)}
    infeasible = []
    if float(knobs["p_infeasible"]) > 0 and rng.random() < float(knobs["p_infeasible"]):
        found = _infeasible(level, graph, plan.session, names, rng)
        if found is None:
            return None
        infeasible.append(found)
    # user turns: the request turns, then one fact turn per group that held facts back (the goal user
    # gives a fact turn when asked for its facts, or once every request is said)
    turns: list[str] = []
    asks: list[str] = []
    fact_turns: list[tuple[int, str]] = []
    for g in range(n_turns):
        members = [i for i in range(len(names)) if group[i] == g]
        text = " ".join(_request(names[i], {**said[i], **picked[i]}) for i in members)
        if g == 0 and infeasible:
            text += " Also, " + infeasible[0]["request"][0].lower() + infeasible[0]["request"][1:]
        turns.append(text)
        facts = [(i, p, v) for i in members for p, v in held[i].items()]
        asks.append("Could you tell me " + " and ".join(f"the {_label(p)} for {_words(names[i])}" for i, p, _ in facts)
                    + "?" if facts else "")
        if facts:
            fact_turns.append((g, "Sure: " + "; ".join(f"for {_words(names[i])}, the {_label(p)} is {_say(v)}"
                                                       for i, p, v in facts).rstrip(".") + "."))
    segment_of_group = list(range(n_turns))
    for g, text in fact_turns:
        segment_of_group[g] = len(turns)
        turns.append(text)
    # steps (samples.py layout), ToolSearcher retrievals first at levels 2 and 3
    searches = dict(_retrieval_order(names, level))
    steps: list[dict[str, Any]] = []
    position: dict[int, int] = {}
    tell: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        seg = segment_of_group[group[i]]
        if i in searches:
            call = ToolCall(name="ToolSearcher", arguments={"keywords": searches[i]})
            out = BackendSession(graph, base_store().view()).call(call).value
            steps.append({"name": "ToolSearcher", "input": dict(call.arguments), "output": out, "exception": None,
                          "segment": seg, "thought": f"I need the {searches[i]} API."})
        position[i] = len(steps)
        result = plan.results[i]
        steps.append({"name": name, "input": dict(plan.calls[i].arguments), "output": result.value,
                      "exception": None, "segment": seg, "thought": ""})
        tell += [{"step": position[i], "value": v} for v in _must_tell(name, graph, result.value)]
    gold = []
    for k, step in enumerate(steps):
        if step["name"] == "ToolSearcher":
            gold.append(GoldCall(name="ToolSearcher"))
            continue
        i = next(i for i, p in position.items() if p == k)
        sources = {p: [position[src], path] for p, (src, path) in plan.gold[i].sources.items()}
        gold.append(GoldCall(name=step["name"], arguments=dict(plan.gold[i].arguments), sources=sources))
    # gold replies: per user turn, the ask for held facts or the results of its steps; the last reply
    # sums up every result (the goal user's episode ends there) and declines the infeasible sub-goal
    decline = ""
    if infeasible:
        item = infeasible[0]
        decline = (" I'm sorry, I cannot do that: no available API can " + item["request"][7:].rstrip(".") + "."
                   if item["kind"] == "no_api" else
                   f" I'm sorry, I could not do the last request: {item['call']['name']} failed ({item['error']}).")
    replies = []
    for k in range(len(turns)):
        if k < n_turns and segment_of_group[k] != k:  # a request whose facts are held back: ask for them
            replies.append(asks[k])
            continue
        parts = [_summary(s["name"], s["output"]) for s in steps if s["segment"] == k and s["name"] != "ToolSearcher"]
        replies.append(" ".join(parts))
    if decline:
        replies[0] = (replies[0] + decline).strip()
    final = " ".join(_summary(s["name"], s["output"]) for s in steps if s["name"] != "ToolSearcher")
    replies[-1] = final + decline
    plan_apis = sorted(set(names))
    others = [n for n in graph.names if n not in plan_apis and n != "ToolSearcher"]
    n_dis = min(int(knobs["n_distractors"]), len(others)) if level == 1 else 0
    distractors = sorted(str(x) for x in rng.choice(others, size=n_dis, replace=False)) if n_dis else []
    apis = sorted({*plan_apis, *distractors})
    sid = f"APIBankP-L{level}-{split}-{index}"
    return Scenario(
        id=sid, domain="apibank_procedural", split=split,
        goal={"request": turns[0], "apis": plan_apis, "must_tell": [t["value"] for t in tell],
              "infeasible": [i["request"] for i in infeasible]},
        tools=apis if level == 1 else ["ToolSearcher"], gold=Gold(calls=gold), user_turns=turns,
        meta={"level": level, "file": "procedural", "steps": steps, "replies": replies, "apis": apis,
              "distractors": distractors, "must_tell": tell, "infeasible": infeasible,
              "held_back": {str(position[i]): sorted(h) for i, h in held.items() if h},
              "procedural": {"version": VERSION, "level": level, "knobs": dict(knobs), "seed": seed, "split": split,
                             "index": index, "attempt": attempt, "skeleton": plan.skeleton.to_dict(),
                             "skeleton_key": plan.skeleton.key(), "depth": plan.skeleton.depth()}},
    )


def _told(value: Any, text: str) -> bool:
    return str(value).lower() in text.lower()


class APIBankProceduralDomain(APIBankDomain):
    """Generated API-Bank tasks over the level's APIs and the official initial databases.

    Args:
        level: 1 (plan APIs and ``n_distractors`` others described), 2 (ToolSearcher first) or 3
            (the level-3 APIs, ToolSearcher first).
        seed: the generator seed (scenario ``i`` of a split is a pure function of it and the knobs).
        n_calls: API calls per plan (ToolSearcher retrievals not counted; at most 8).
        max_depth: longest data-dependency chain (``None``: up to ``n_calls - 1``; 0: independent calls).
        n_user_turns: request turns the plan's intents are spread over.
        n_distractors: extra visible APIs at level 1.
        p_held_back: probability that a free fact (after each call's first) is held back until asked.
        p_infeasible: probability of one infeasible sub-goal in the first request.
    """

    MANUAL = MANUAL
    name = "apibank_procedural"
    default_user = "apibank_goal"
    splits = ("train", "val", "test")

    def __init__(self, level: int = 1, seed: int = 0, n_calls: int = KNOBS["n_calls"],
                 max_depth: int | None = KNOBS["max_depth"], n_user_turns: int = KNOBS["n_user_turns"],
                 n_distractors: int = KNOBS["n_distractors"], p_held_back: float = KNOBS["p_held_back"],
                 p_infeasible: float = KNOBS["p_infeasible"]):
        super().__init__(level)
        for key, value, low in (("n_calls", n_calls, 1), ("n_user_turns", n_user_turns, 1),
                                ("n_distractors", n_distractors, 0), ("seed", seed, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"{key} must be an integer >= {low}, got {value!r}")
        if n_calls > _MAX_CALLS:
            raise ConfigError(f"n_calls must be at most {_MAX_CALLS} (a level-2/3 plan takes 2 steps a call), "
                              f"got {n_calls}")
        if max_depth is not None and (not isinstance(max_depth, int) or isinstance(max_depth, bool) or max_depth < 0):
            raise ConfigError(f"max_depth must be None or an integer >= 0, got {max_depth!r}")
        for key, value in (("p_held_back", p_held_back), ("p_infeasible", p_infeasible)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"{key} must be a probability in [0, 1], got {value!r}")
        self.seed = seed
        self.knobs = {"n_calls": n_calls, "max_depth": max_depth, "n_user_turns": n_user_turns,
                      "n_distractors": n_distractors, "p_held_back": float(p_held_back),
                      "p_infeasible": float(p_infeasible)}
        self._pools: dict[str, LazyScenarios] = {}

    def generate(self, split: str, index: int) -> Scenario:
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        if int(index) < 0:
            raise ConfigError(f"scenario index must be >= 0, got {index}")
        return generate_scenario(self.level, self.knobs, self.seed, split, int(index))

    def scenarios(self, split: str = "train") -> LazyScenarios:  # type: ignore[override]
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        if split not in self._pools:
            self._pools[split] = LazyScenarios(SPLIT_SIZES[split], lambda i, s=split: self.generate(s, i),
                                               max_cached=_MAX_CACHED)
        return self._pools[split]

    def scenario_ids(self, split: str) -> list[str]:
        """The ids of ``split`` without generating it (the rollout plan draws its order from these)."""
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        return [f"APIBankP-L{self.level}-{split}-{i}" for i in range(SPLIT_SIZES[split])]

    def get_scenario(self, scenario_id: str) -> Scenario:
        m = re.fullmatch(r"APIBankP-L(\d)-(train|val|test)-(\d+)", str(scenario_id))
        if m is None or int(m.group(1)) != self.level:
            raise UnknownNameError(f"API-Bank procedural level-{self.level} scenario id", scenario_id,
                                   [f"APIBankP-L{self.level}-train-0"])
        split, index = m.group(2), int(m.group(3))
        pool = self.scenarios(split)
        return pool[index] if index < len(pool) else self.generate(split, index)

    def score(self, trajectory: Trajectory, scenario: Scenario, backend: BackendSession) -> dict[str, float]:
        metrics = super().score(trajectory, scenario, backend)
        replies = [s.reply or "" for s in trajectory.steps if s.kind == "reply"]
        infeasible = scenario.meta.get("infeasible") or []
        declined = not infeasible or any(declines(r) for r in replies)
        tell = scenario.meta.get("must_tell") or []
        said = " ".join(replies)
        metrics["calls_success"] = metrics["success"]
        metrics["infeasible_declined"] = float(declined)
        metrics["results_told"] = sum(_told(t["value"], said) for t in tell) / len(tell) if tell else 1.0
        metrics["success"] = float(metrics["calls_success"] == 1.0 and declined)
        return metrics
