"""customer_key: HMAC-SHA256 of the 사업자등록번호 with a secret key, computed by the loader.

A hash computed in SQL puts its key into view definitions and compiled dbt, and 10-digit
registration numbers are few enough to try them all; so the key is computed here, in Python, and
stored beside the row in raw.guarantees (the contract's derived column). The secret
(CGF_CUSTOMER_KEY_SECRET) never enters SQL text, a view, compiled dbt, a log or the database.

Without the setting, the demo secret is used only for a landing area the demo generator wrote
(its marker file at the root); any other landing area is refused before anything is loaded.
Rotation: set the new secret, `cgf warehouse rekey`, then rebuild what carries the key
(README: "Rotating the customer-key secret").
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import psycopg

from include.ingest.contract import DEMO_LANDING_MARKER, GUARANTEES

SECRET_VARIABLE = "CGF_CUSTOMER_KEY_SECRET"
DEMO_SECRET = "cgf-demo-customer-key-secret"  # public: good for the generated demo only


class CustomerKeySecretMissing(RuntimeError):
    """The landing area is not the generated demo and CGF_CUSTOMER_KEY_SECRET is not set."""

    def __init__(self, landing: Path):
        super().__init__(
            f"{SECRET_VARIABLE} is not set: the landing area {landing} is not the generated demo "
            f"(no {DEMO_LANDING_MARKER} file), so customer_key cannot use the demo secret. Set "
            f"{SECRET_VARIABLE} to a long random secret (e.g. `openssl rand -hex 32`), keep it and "
            "never change it except to rotate it (README). Nothing was loaded.")


def is_demo_landing(landing: Path) -> bool:
    return (Path(landing) / DEMO_LANDING_MARKER).is_file()


def secret_for(landing: Path) -> bytes:
    """CGF_CUSTOMER_KEY_SECRET, else the demo secret for the generator's landing area; else refuse."""
    configured = os.environ.get(SECRET_VARIABLE, "")
    if configured:
        return configured.encode()
    if is_demo_landing(landing):
        return DEMO_SECRET.encode()
    raise CustomerKeySecretMissing(landing)


class CustomerKeys:
    """key(business_reg_no) = HMAC-SHA256(secret, number) in hex (RFC 2104), computed once per
    distinct number (a customer comes back in many deliveries: the loader's speed matters). The
    key's inner and outer pads are hashed once, not once per number: half the time of hmac.new."""

    BLOCK = 64  # SHA-256's block size

    def __init__(self, secret: bytes):
        if len(secret) > self.BLOCK:
            secret = hashlib.sha256(secret).digest()
        secret = secret.ljust(self.BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in secret))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in secret))
        self._known: dict[str, str] = {}

    def _hmac(self, number: str) -> str:
        inner = self._inner.copy()
        inner.update(number.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def __call__(self, number: str) -> str:
        key = self._known.get(number)
        if key is None:
            key = self._known[number] = self._hmac(number)
        return key

    def many(self, numbers: list[str | None], remember: bool = True) -> list[str | None]:
        """The key of each number, in order (None for an empty one). `remember` False: the keys
        computed are not kept (a delivery of a million customers would make the cache big)."""
        known = self._known if remember else {n: self._known[n] for n in set(numbers) if n in self._known}
        for number in {n for n in numbers if n and n not in known}:
            known[number] = self._hmac(number)
        return [known[n] if n else None for n in numbers]

    def __repr__(self) -> str:  # never the secret, wherever an object is shown
        return f"CustomerKeys({len(self._known)} numbers)"


def _set_keys(conn: psycopg.Connection, keys: CustomerKeys, only_missing: bool) -> int:
    """Compute the keys of raw.guarantees's distinct numbers in Python and write them back."""
    key = GUARANTEES.derived[0]
    missing = f" where {key.name} is null" if only_missing else ""
    numbers = [n for (n,) in conn.execute(
        f"select distinct {key.source} from raw.{GUARANTEES.table}{missing}")]
    if not numbers:
        return 0
    return conn.execute(
        f"update raw.{GUARANTEES.table} g set {key.name} = k.key "
        f"from unnest(%s::text[], %s::text[]) as k(number, key) "
        f"where g.{key.source} = k.number" + (f" and g.{key.name} is null" if only_missing else ""),
        (numbers, [keys(n) for n in numbers])).rowcount


def fill_missing_keys(conn: psycopg.Connection, keys: CustomerKeys) -> int:
    """The migration step: rows loaded by a release that hashed in SQL get their key now."""
    with conn.transaction():
        return _set_keys(conn, keys, only_missing=True)


def rekey(conn: psycopg.Connection, keys: CustomerKeys) -> int:
    """Rotation: every raw customer_key recomputed with the current secret, in one transaction."""
    with conn.transaction():
        return _set_keys(conn, keys, only_missing=False)
