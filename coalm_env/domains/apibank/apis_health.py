"""Health: doctor appointments, recorded health data, and symptom knowledge.

Tables: ``Appointments`` (appointment id -> patient_name, date, doctor_name), ``HealthData``
(user id -> ``records``). The symptom knowledge base is read-only (:func:`resources.reference`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from coalm_env.backend.store import StoreView
from coalm_env.domains.apibank.resources import reference
from coalm_env.domains.apibank.schema import DATE_FORMAT, check_time, fail

__all__ = ["HANDLERS"]


def _appointment_id(state: StoreView, seed: str) -> str:
    """A deterministic 8-digit id not in use (the original draws a random one)."""
    counter = 0
    while True:
        digest = hashlib.sha256(f"{seed}|{counter}".encode()).hexdigest()
        candidate = str(int(digest, 16) % 10**8).zfill(8)
        if state.get("Appointments", candidate) is None:
            return candidate
        counter += 1


def appointment_registration(state: StoreView, patient_name: str, date: str, doctor_name: str) -> str:
    if not str(patient_name).strip() or not str(doctor_name).strip():
        raise fail("Patient name or doctor name cannot be empty.", "invalid_arguments")
    date = check_time(date, DATE_FORMAT, "date")
    for _, record in state.scan("Appointments"):
        same = (record["patient_name"], record["date"], record["doctor_name"]) == (patient_name, date, doctor_name)
        if same:
            raise fail("This appointment has already been registered.", "conflict")
    key = _appointment_id(state, f"{patient_name}|{date}|{doctor_name}")
    state.put("Appointments", key, {"patient_name": patient_name, "date": date, "doctor_name": doctor_name})
    return key


def _appointment(state: StoreView, appointment_id: Any) -> tuple[str, dict[str, Any]]:
    key = str(appointment_id).strip()
    record = state.get("Appointments", key)
    if record is None:
        raise fail("The appointment ID is incorrect.", "not_found")
    return key, dict(record)


def cancel_registration(state: StoreView, appointment_id: str) -> str:
    state.delete("Appointments", _appointment(state, appointment_id)[0])
    return "success"


def modify_registration(state: StoreView, appointment_id: str, new_appointment_date: str = "",
                        new_appointment_doctor: str = "") -> str:
    key, record = _appointment(state, appointment_id)
    changes = {}
    if new_appointment_date:
        changes["date"] = check_time(new_appointment_date, DATE_FORMAT, "new_appointment_date")
    if str(new_appointment_doctor or "").strip():
        changes["doctor_name"] = new_appointment_doctor
    if not changes:
        raise fail("Fail because no modification is made.", "invalid_arguments")
    state.put("Appointments", key, {**record, **changes})
    return "success"


def query_registration(state: StoreView, patient_name: str, date: str) -> dict[str, Any]:
    found = {k: dict(r) for k, r in state.scan("Appointments")
             if r["patient_name"] == patient_name and r["date"] == str(date).strip()}
    if not found:
        raise fail("No appointment found for this patient on this date.", "not_found")
    return found


def _as_entry(time: str, health_data: Any) -> dict[str, Any]:
    if isinstance(health_data, list) and all(isinstance(d, dict) and "name" in d for d in health_data):
        return {"time": time, **{str(d["name"]): d.get("value") for d in health_data}}
    return {"time": time, "health_data": health_data}


def record_health_data(state: StoreView, user_id: str, time: str, health_data: list) -> str:
    time = check_time(time)
    key = str(user_id).strip()
    record = state.get("HealthData", key)
    records = list(record["records"]) if record else []
    state.put("HealthData", key, {"records": [*records, _as_entry(time, health_data)]})
    return "success"


def query_health_data(state: StoreView, user_id: str, start_time: str, end_time: str) -> list:
    start = check_time(start_time, param="start_time")
    end = check_time(end_time, param="end_time")
    wanted = str(user_id).strip().lower()
    for key, record in state.scan("HealthData"):
        if key.lower() == wanted:
            return [dict(r) for r in record["records"] if start <= r["time"] <= end]
    raise fail("The user id does not exist.", "not_found")


def _symptom(symptom: str, field: str) -> list[dict[str, Any]]:
    text = str(symptom).strip().lower()
    if not text:
        raise fail("The symptom cannot be empty.", "invalid_arguments")
    for name, diseases in reference()["Symptom"].items():
        if name.lower() == text:
            return [{"name": d["name"], field: d[field]} for d in diseases]
    raise fail("The symptom does not exist.", "not_found")


def symptom_search(state: StoreView, symptom: str) -> list:
    return _symptom(symptom, "description")


def emergency_knowledge(state: StoreView, symptom: str) -> list:
    return _symptom(symptom, "aid")


HANDLERS = {
    "AppointmentRegistration": (appointment_registration, True),
    "CancelRegistration": (cancel_registration, True),
    "ModifyRegistration": (modify_registration, True),
    "QueryRegistration": (query_registration, False),
    "RecordHealthData": (record_health_data, True),
    "QueryHealthData": (query_health_data, False),
    "SymptomSearch": (symptom_search, False),
    "EmergencyKnowledge": (emergency_knowledge, False),
}
