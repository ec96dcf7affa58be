"""The relevance floor: a calibrated relevance for every hit, and a threshold per
search direction below which hits are dropped, so that a query with no good
answer says "no results" instead of listing unrelated items.

Relevance is the query-to-chunk cosine similarity mapped through a logistic
curve fitted on labelled data (Platt scaling): an estimate of the probability
that a person would judge the hit relevant. Raw BM25 and fused scores cannot be
calibrated this way (BM25 depends on the collection's statistics, fused scores
only on ranks), so every text retrieval rates its hits by their cosine.

A direction plugs in with its own calibration (its model's similarities) and a
default floor, both measured: see ``bench/relevance_floor.py`` and docs/evaluation.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from searchapp.config import DEFAULT_TEXT_MODEL
from searchapp.errors import ConfigError, InvalidQueryError


@dataclass(frozen=True)
class Calibration:
    """relevance = 1 / (1 + exp(-(slope * similarity + intercept)))"""

    slope: float
    intercept: float

    def relevance(self, similarity: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.slope * similarity + self.intercept)))


@dataclass(frozen=True)
class Direction:
    """A search direction's calibration, the model it was fitted for, and its default floor.

    Another model's similarities mean something else: its hits get no relevance
    and no floor until it is calibrated in turn.
    """

    calibration: Calibration
    default_floor: float
    model_id: str | None = None  # None: any model


# MiniLM cosine -> P(relevant), fitted on the top-10 dense hits of SciFact's test
# queries (bench/relevance_floor.py). SciFact judges ~1 abstract per query, so
# the curve is conservative: 0.5 only at cosine 0.76, 0.005 at 0.32.
_MINILM = Calibration(slope=12.14, intercept=-9.19)
_MINILM_ID = DEFAULT_TEXT_MODEL

DIRECTIONS: Mapping[str, Direction] = MappingProxyType(
    {
        "text-dense": Direction(_MINILM, default_floor=0.005, model_id=_MINILM_ID),
        "text-keyword": Direction(_MINILM, default_floor=0.005, model_id=_MINILM_ID),
        "text-hybrid": Direction(_MINILM, default_floor=0.005, model_id=_MINILM_ID),
    }
)


class RelevanceFloor:
    """Thresholds per direction: the settings' overrides, else the measured defaults."""

    def __init__(
        self,
        overrides: Mapping[str, float],
        directions: Mapping[str, Direction] = DIRECTIONS,
    ) -> None:
        unknown = sorted(set(overrides) - set(directions))
        if unknown:
            raise ConfigError(
                f"SEARCHAPP_MIN_RELEVANCE names unknown search directions {unknown}; "
                f"known: {sorted(directions)}"
            )
        for name, value in overrides.items():
            _check_threshold(value, f"SEARCHAPP_MIN_RELEVANCE[{name!r}]", ConfigError)
        self._overrides = dict(overrides)
        self._directions = directions

    def relevance(
        self, direction: str, similarity: float, model_id: str | None = None
    ) -> float | None:
        """The calibrated relevance; None when ``model_id`` is not the calibrated model."""
        known = self._directions[direction]
        if known.model_id is not None and model_id is not None and model_id != known.model_id:
            return None
        return known.calibration.relevance(similarity)

    def threshold(self, direction: str, requested: float | None = None) -> float:
        """The floor for one search: ``requested`` if given, else the configured one."""
        if requested is not None:
            return _check_threshold(requested, "min_relevance", InvalidQueryError)
        if direction in self._overrides:
            return self._overrides[direction]
        return self._directions[direction].default_floor


def _check_threshold(value: float, name: str, error: type[Exception]) -> float:
    if not 0.0 <= value <= 1.0:
        raise error(f"{name} must be between 0 and 1 (a calibrated relevance), not {value}")
    return value
