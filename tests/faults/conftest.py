"""Fixtures of the fault catalogue: a landing area of the test's own, with the secret that a
hand-written (non-demo) landing area needs for its customer keys."""
from __future__ import annotations

import pytest

TEST_SECRET = "fault-catalogue-test-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def customer_key_secret(monkeypatch):
    monkeypatch.setenv("CGF_CUSTOMER_KEY_SECRET", TEST_SECRET)


@pytest.fixture(scope="module")
def module_database(server_url, request) -> str:
    from tests.conftest import make_database

    return make_database(server_url, "faults_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))


@pytest.fixture
def db_url(module_database) -> str:
    """One database per module, emptied before each case (overrides the suite's fresh database per
    test: creating and dropping ~55 databases cost the catalogue ~80 s)."""
    import psycopg

    with psycopg.connect(module_database, autocommit=True) as conn:
        conn.execute("set lock_timeout = '10s'")  # a case that left a connection open fails loudly here
        conn.execute("drop schema if exists raw, ops, reference, staging, intermediate, marts cascade")
    return module_database
