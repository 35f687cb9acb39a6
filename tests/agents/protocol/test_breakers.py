"""Circuit breakers stop retry storms, and remember that across processes."""

import pybreaker
import pytest

from agents.protocol.breakers import BreakerDamaged, FileBreakerStorage, breaker, breaker_states


def fail():
    raise RuntimeError("pulumi up failed")


def test_the_breaker_opens_after_repeated_failures_and_survives_a_restart(tmp_path):
    for _ in range(2):
        with pytest.raises(RuntimeError):
            breaker(tmp_path, "prod", "up", fail_max=3, reset_s=600).call(fail)
    with pytest.raises(pybreaker.CircuitBreakerError):
        breaker(tmp_path, "prod", "up", fail_max=3, reset_s=600).call(fail)
    # a new process (a new breaker object on the same files) refuses without calling
    calls = []
    with pytest.raises(pybreaker.CircuitBreakerError):
        breaker(tmp_path, "prod", "up", fail_max=3, reset_s=600).call(lambda: calls.append(1))
    assert calls == []
    (state,) = breaker_states(tmp_path)
    assert (state["stack"], state["operation"], state["state"]) == ("prod", "up", "open")


def test_breakers_are_per_stack_and_operation(tmp_path):
    for _ in range(3):
        with pytest.raises((RuntimeError, pybreaker.CircuitBreakerError)):
            breaker(tmp_path, "prod", "up", fail_max=3, reset_s=600).call(fail)
    assert breaker(tmp_path, "prod", "refresh", fail_max=3, reset_s=600).call(lambda: 1) == 1
    assert breaker(tmp_path, "dev", "up", fail_max=3, reset_s=600).call(lambda: 2) == 2


def test_a_success_after_the_reset_timeout_closes_it(tmp_path):
    for _ in range(3):
        with pytest.raises((RuntimeError, pybreaker.CircuitBreakerError)):
            breaker(tmp_path, "dev", "up", fail_max=3, reset_s=600).call(fail)
    storage = FileBreakerStorage(tmp_path / "breakers" / "dev.up.json")
    opened = storage.opened_at
    assert opened is not None
    storage.opened_at = opened.replace(year=2000)  # long ago: past any timeout
    assert breaker(tmp_path, "dev", "up", fail_max=3, reset_s=600).call(lambda: "ok") == "ok"
    assert breaker(tmp_path, "dev", "up", fail_max=3, reset_s=600).current_state == "closed"


# -- failing closed (issue 9) ---------------------------------------------------------------------


def test_a_missing_breaker_file_is_a_fresh_closed_breaker(tmp_path):
    cb = breaker(tmp_path, "dev", "up", fail_max=3, reset_s=600)
    assert cb.current_state == "closed" and cb.call(lambda: "ran") == "ran"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "not JSON"),
        ('{"state": "closed", "coun', "not JSON"),
        pytest.param("[" * 100_000 + "]" * 100_000, "not JSON (nested too deep", id="nested"),
        ("[]", "expected exactly the fields"),
        ('{"state": "closed"}', "expected exactly the fields"),
        (
            '{"state": "shut", "counter": 0, "success_counter": 0, "opened_at": null}',
            "unknown state",
        ),
        (
            '{"state": "closed", "counter": "0", "success_counter": 0, "opened_at": null}',
            "counters",
        ),
        (
            '{"state": "open", "counter": 3, "success_counter": 0, "opened_at": null}',
            "open without opened_at",
        ),
        (
            '{"state": "open", "counter": 3, "success_counter": 0, "opened_at": "2020-01-01"}',
            "opened_at is not a timestamp with a time zone",
        ),
    ],
)
def test_a_damaged_breaker_file_is_open_and_reported(tmp_path, text, why):
    path = tmp_path / "breakers" / "prod.up.json"
    path.parent.mkdir()
    path.write_text(text)
    calls = []
    cb = breaker(tmp_path, "prod", "up", fail_max=3, reset_s=600)
    assert cb.current_state == "open", f"{path}: damaged breaker read as {cb.current_state}"
    with pytest.raises(pybreaker.CircuitBreakerError):
        cb.call(lambda: calls.append(1))
    assert calls == [], f"{path}: a damaged breaker let a call through"
    (state,) = breaker_states(tmp_path)
    assert state["state"] == "open" and why in state["damaged"], state
    assert path.read_text() == text, f"{path}: the damaged file was overwritten"


def test_a_damaged_breaker_refuses_writes(tmp_path):
    path = tmp_path / "breakers" / "prod.up.json"
    path.parent.mkdir()
    path.write_text("{")
    with pytest.raises(BreakerDamaged, match="repair --stack prod"):
        FileBreakerStorage(path).increment_counter()
