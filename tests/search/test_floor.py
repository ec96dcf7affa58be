"""The relevance floor: calibrated relevance, per-direction thresholds, overrides."""

from __future__ import annotations

import pytest

from searchapp.errors import ConfigError, InvalidQueryError
from searchapp.search.floor import DIRECTIONS, Calibration, Direction, RelevanceFloor


def test_calibration_is_a_logistic_curve() -> None:
    curve = Calibration(slope=10.0, intercept=-5.0)
    assert curve.relevance(0.5) == pytest.approx(0.5)
    assert curve.relevance(0.2) < curve.relevance(0.5) < curve.relevance(0.8)
    assert 0.0 < curve.relevance(-1.0) < 0.01 and 0.99 < curve.relevance(1.0) < 1.0


def test_every_text_retrieval_has_a_direction() -> None:
    assert {"text-dense", "text-keyword", "text-hybrid"} <= set(DIRECTIONS)
    for direction in DIRECTIONS.values():
        assert 0.0 < direction.default_floor < 1.0


def test_thresholds_come_from_request_then_settings_then_defaults() -> None:
    floor = RelevanceFloor({"text-keyword": 0.4})
    assert floor.threshold("text-keyword") == 0.4
    assert floor.threshold("text-dense") == DIRECTIONS["text-dense"].default_floor
    assert floor.threshold("text-dense", 0.0) == 0.0  # a request can turn it off
    with pytest.raises(InvalidQueryError, match="between 0 and 1"):
        floor.threshold("text-dense", 1.5)


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown search directions"):
        RelevanceFloor({"text-dence": 0.2})
    with pytest.raises(ConfigError, match="between 0 and 1"):
        RelevanceFloor({"text-dense": -0.1})


def test_a_new_direction_plugs_in() -> None:
    directions = {"text-to-image": Direction(Calibration(30.0, -8.0), default_floor=0.3)}
    floor = RelevanceFloor({}, directions)
    assert floor.threshold("text-to-image") == 0.3
    assert floor.relevance("text-to-image", 0.3) > floor.relevance("text-to-image", 0.2)


def test_another_model_gets_no_relevance() -> None:
    floor = RelevanceFloor({})
    model = DIRECTIONS["text-dense"].model_id
    assert floor.relevance("text-dense", 0.5, model) is not None
    assert floor.relevance("text-dense", 0.5, "someone/other-model") is None
