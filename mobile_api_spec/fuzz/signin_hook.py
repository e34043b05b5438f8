"""Schemathesis hook: every generated request is sent signed in as FUZZ_ROLE.

FUZZ_ROLE is ``patron`` (card + PIN) or a staff role (email + password); the
credentials come from FUZZ_LOGIN and FUZZ_SECRET, FUZZ_BASE_URL is the server.
The token is fetched by signing in and refreshed every minute (a fuzzed
``POST /v1/auth/logout`` may revoke it). A 429 from the sign-in limits is
waited out (Retry-After), a bounded number of times.
"""

from __future__ import annotations

import os
import time

import requests
import schemathesis

BASE = os.environ["FUZZ_BASE_URL"]
ROLE = os.environ["FUZZ_ROLE"]


def sign_in() -> str:
    if ROLE == "patron":
        path, body = "/v1/auth/patron/card", {"card_number": os.environ["FUZZ_LOGIN"], "pin": os.environ["FUZZ_SECRET"]}
    else:
        path, body = "/v1/auth/staff/password", {"email": os.environ["FUZZ_LOGIN"], "password": os.environ["FUZZ_SECRET"]}
    for _ in range(5):
        response = requests.post(BASE + path, json={**body, "device_name": "fuzzer"}, timeout=30)
        if response.status_code == 429:
            time.sleep(min(int(response.headers.get("Retry-After", "10")), 65))
            continue
        response.raise_for_status()
        return response.json()["access_token"]
    raise RuntimeError(f"could not sign in as {ROLE}: still rate limited")


@schemathesis.auth(refresh_interval=60)
class SignIn:
    def get(self, case, context):
        return sign_in()

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
