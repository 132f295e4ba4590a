"""Accounts and banking: tokens, registration, passwords, bank accounts and balances.

Tables: ``Account`` (username -> password, token, email), ``Bank`` (username -> balance),
``BankAccount`` (account -> password, name; starts empty), ``PasswordReset`` (the pending reset).
"""

from __future__ import annotations

import hashlib
from typing import Any

from coalm_env.backend.store import StoreView
from coalm_env.domains.apibank.schema import fail, user_of

__all__ = ["HANDLERS", "VERIFICATION_CODE"]

#: the code ForgotPassword sends (every recorded dialogue shows this one)
VERIFICATION_CODE = 970420
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _account(state: StoreView, username: str) -> dict[str, Any]:
    record = state.get("Account", str(username).strip())
    if record is None:
        raise fail("The username does not exist.", "not_found")
    return dict(record)


def get_user_token(state: StoreView, username: str, password: str) -> dict[str, str]:
    record = _account(state, username)
    if record["password"] != password:
        raise fail("The password is incorrect.", "wrong_password")
    return {"token": record["token"]}


def check_token(state: StoreView, token: str) -> dict[str, str]:
    return {"username": user_of(state, token)}


def _new_token(state: StoreView, seed: str) -> str:
    """A deterministic 32-character token (the original draws a random one)."""
    taken = {r.get("token") for _, r in state.scan("Account")}
    counter = 0
    while True:
        digest = hashlib.sha256(f"{seed}|{counter}".encode()).digest()
        token = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:32])
        if token not in taken:
            return token
        counter += 1


def register_user(state: StoreView, username: str, password: str, email: str) -> dict[str, str]:
    username = str(username).strip()
    if not username or not password:
        raise fail("The username and password cannot be empty.", "invalid_arguments")
    if state.get("Account", username) is not None:
        raise fail("The username already exists.", "conflict")
    token = _new_token(state, f"{username}|{password}|{email}")
    state.put("Account", username, {"password": password, "token": token, "email": email})
    return {"token": token}


def delete_account(state: StoreView, token: str) -> dict[str, str]:
    state.delete("Account", user_of(state, token))
    return {"status": "success"}


def modify_password(state: StoreView, token: str, old_password: str, new_password: str) -> dict[str, str]:
    username = user_of(state, token)
    record = _account(state, username)
    if record["password"] != old_password:
        raise fail("The old password is incorrect.", "wrong_password")
    if not str(new_password).strip():
        raise fail("The new password cannot be empty.", "invalid_arguments")
    state.update("Account", username, password=new_password)
    return {"status": "success"}


def forgot_password(state: StoreView, status: str, username: str | None = None, email: str | None = None,
                    verification_code: Any = None, new_password: str | None = None) -> Any:
    """Two steps: ``status="Forgot Password"`` sends a code; ``status="Verification Code"`` resets."""
    step = str(status).strip().lower()
    if step == "forgot password":
        record = _account(state, username or "")
        if str(email or "").strip().lower() != record["email"].lower():
            raise fail("The email is incorrect.", "wrong_email")
        state.put("PasswordReset", "pending", {"username": str(username).strip(), "code": VERIFICATION_CODE})
        return VERIFICATION_CODE
    if step == "verification code":
        return _reset(state, verification_code, new_password)
    raise fail("The status must be 'Forgot Password' or 'Verification Code'.", "invalid_arguments")


def _reset(state: StoreView, code: Any, new_password: str | None) -> str:
    pending = state.get("PasswordReset", "pending")
    if pending is None:
        raise fail("No verification code has been sent.", "not_found")
    if str(code).strip() != str(pending["code"]):
        raise fail("The verification code is incorrect.", "wrong_code")
    if not str(new_password or "").strip():
        raise fail("The new password cannot be empty.", "invalid_arguments")
    state.update("Account", pending["username"], password=new_password)
    state.delete("PasswordReset", "pending")
    return "success"


def open_bank_account(state: StoreView, account: str, password: str, name: str) -> str:
    account = str(account).strip()
    if not account or not password or not str(name).strip():
        raise fail("The account, password and name cannot be empty.", "invalid_arguments")
    if state.get("BankAccount", account) is not None:
        raise fail("The account already exists.", "conflict")
    state.put("BankAccount", account, {"password": password, "name": name})
    return "success"


def query_balance(state: StoreView, token: str) -> float:
    record = state.get("Bank", user_of(state, token))
    if record is None:
        raise fail("The user has no bank account.", "not_found")
    return record["balance"]


#: name -> (function, writes state)
HANDLERS = {
    "GetUserToken": (get_user_token, False),
    "CheckToken": (check_token, False),
    "RegisterUser": (register_user, True),
    "DeleteAccount": (delete_account, True),
    "ModifyPassword": (modify_password, True),
    "ForgotPassword": (forgot_password, True),
    "OpenBankAccount": (open_bank_account, True),
    "QueryBalance": (query_balance, False),
}
