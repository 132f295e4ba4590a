"""The level-3 APIs (``lv3_apis``): lookups replayed from the dataset, plus the computable ones.

The original level-3 mock data is hard-coded in the repository's Python files, which are not part of
the dataset; what it returns is recorded in ``test-data/level-3.json``. Lookup APIs (geocoding,
weather, flights, members, posts, movies, ...) therefore answer the recorded inputs and fail with
``not_recorded`` otherwise. ``Calculator`` and ``TaxCalculator`` (a flat 30% tax, as every recorded
pair shows) compute; ``AddMeeting``, ``EmailReminder`` and ``PersonalInfoUpdate`` write to the
episode's state (tables ``Lv3Meeting``, ``Lv3Email``, ``Lv3Address``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coalm_env.backend.store import StoreView
from coalm_env.domains.apibank.apis_home import calculate
from coalm_env.domains.apibank.apis_web import replay
from coalm_env.domains.apibank.resources import Recordings
from coalm_env.domains.apibank.schema import TIME_FORMAT, check_time, fail

__all__ = ["handlers", "LOOKUPS", "TAX_RATE"]

TAX_RATE = 0.3
LOOKUPS = ("AccountInfo", "ClothingRecommendation", "FlightSearch", "Geocoding", "GetOccupationSalary",
           "GetWeatherForCoordinates", "HotelAvailability", "LikeCount", "MovieRecommendations",
           "NearbyRestaurants", "OrganizationMembers", "QueryMeeting", "TravelStatus", "UserPosts",
           "UserWatchedMovies", "UserMoviePreferences")


def _append(state: StoreView, table: str, record: dict[str, Any]) -> None:
    state.put(table, str(state.count(table) + 1), record)


def add_meeting(state: StoreView, meeting_topic: str, start_time: str, end_time: str, location: str,
                attendees: list) -> str:
    check_time(start_time, TIME_FORMAT, "start_time")
    check_time(end_time, TIME_FORMAT, "end_time")
    if not str(meeting_topic).strip():
        raise fail("Meeting Topic should not be null", "invalid_arguments")
    _append(state, "Lv3Meeting", {"meeting_topic": meeting_topic, "start_time": start_time, "end_time": end_time,
                                  "location": location, "attendees": list(attendees)})
    return "success"


def email_reminder(state: StoreView, content: str, time: str, location: str, recipient: str) -> str:
    check_time(time)
    if "@" not in str(recipient):
        raise fail("The recipient must be an e-mail address.", "invalid_arguments")
    _append(state, "Lv3Email", {"content": content, "time": time, "location": location, "recipient": recipient})
    return "success"


def personal_info_update(state: StoreView, username: str, password: str, address: str) -> dict[str, str]:
    if not str(username).strip() or not str(address).strip():
        raise fail("The username and address cannot be empty.", "invalid_arguments")
    state.put("Lv3Address", str(username).strip(), {"address": address})
    return {"status": "success"}


def tax_calculator(state: StoreView, salary: float) -> dict[str, float]:
    if salary < 0:
        raise fail("The salary cannot be negative.", "invalid_arguments")
    return {"salary_after_tax": round(float(salary) * (1 - TAX_RATE), 2)}


def calculator(state: StoreView, formula: str) -> float:
    return calculate(formula)


def _lookup(recorded: Recordings, name: str) -> Callable[..., Any]:
    def handler(state: StoreView, **arguments: Any) -> Any:
        return replay(recorded, name, arguments)

    return handler


def handlers(recorded: Recordings) -> dict[str, tuple[Callable[..., Any], bool]]:
    """Every level-3 API except ToolSearcher: ``{name: (function, writes)}``."""
    out: dict[str, tuple[Callable[..., Any], bool]] = {n: (_lookup(recorded, n), False) for n in LOOKUPS}
    out.update({
        "AddMeeting": (add_meeting, True), "EmailReminder": (email_reminder, True),
        "PersonalInfoUpdate": (personal_info_update, True), "TaxCalculator": (tax_calculator, False),
        "Calculator": (calculator, False),
    })
    return out
