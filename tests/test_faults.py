"""Fault points (SEARCHAPP_FAULT_PAUSE): how they are written, and that only the
named occurrence pauses and says so in the log."""

from __future__ import annotations

import logging

import pytest

from searchapp.config import Settings
from searchapp.errors import ConfigError
from searchapp.faults import FaultPoints, Pause, parse_pauses


def test_pauses_are_parsed() -> None:
    assert parse_pauses("") == ()
    assert parse_pauses("flush@2:60000, lease:5") == (
        Pause("flush", 2, 60000),
        Pause("lease", None, 5),
    )


@pytest.mark.parametrize("spec", ["flsh:1", "flush", "flush@0:1", "flush@x:1", "flush:-1"])
def test_a_bad_pause_is_refused_with_the_reason(spec: str) -> None:
    with pytest.raises(ValueError, match=r"PHASE|whole numbers|1 or more"):
        parse_pauses(spec)
    with pytest.raises((ConfigError, ValueError), match="fault_pause"):
        Settings(fault_pause=spec)


def test_only_the_named_occurrence_pauses_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    faults = FaultPoints.parse("commit@2:0")
    with caplog.at_level(logging.WARNING, logger="searchapp.faults"):
        for _ in range(3):
            faults.reached("commit")
            faults.reached("flush")
    assert caplog.messages == ["fault point commit #2: pausing 0 ms"]


def test_no_pauses_by_default(caplog: pytest.LogCaptureFixture) -> None:
    faults = FaultPoints.parse(Settings().fault_pause)
    with caplog.at_level(logging.DEBUG, logger="searchapp.faults"):
        faults.reached("commit")
    assert caplog.messages == []
