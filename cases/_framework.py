"""What a case declares: the contract between a case module and the shared runner.

A case is data: a world (``make_data``), a model, what to audit and why, its
knobs, and its story. The runner in ``cases._runner`` does everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# The pitfalls of the course the casebook grew from (shared/seed): one
# vocabulary, so the home page can set every case against every pitfall.
PITFALLS = (
    "incomplete or unrepresentative data",
    "statistical bias in the data or labels",
    "a loss or metric that does not fit the need",
    "information leaking into the model",
    "a feedback loop: the model changes its own data",
    "a model that does not adapt to change",
    "overfitting",
)


class CaseError(ValueError):
    """A case, a knob or a value that does not exist or is out of range (one-line message)."""


@dataclass(frozen=True)
class Knob:
    """A setting of the synthetic world or of the model that a reader may change.

    ``low``/``high`` bound a number; ``choices`` lists the values of a categorical knob.
    """

    name: str
    default: Any
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    integer: bool = False

    def describe_range(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        return f"{self.low:g} to {self.high:g}" + (" (whole number)" if self.integer else "")

    def parse(self, text: str | Any) -> Any:
        """Turn ``--set name=text`` into a checked value."""
        if self.choices:
            value = str(text)
            if value not in self.choices:
                raise CaseError(
                    f"knob {self.name!r} must be {self.describe_range()}, got {value!r}"
                )
            return value
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise CaseError(
                f"knob {self.name!r} takes a number ({self.describe_range()}), got {text!r}"
            ) from None
        if self.integer:
            if value != int(value):
                raise CaseError(f"knob {self.name!r} takes a whole number, got {text!r}")
            value = int(value)
        if not (self.low <= value <= self.high):
            raise CaseError(f"knob {self.name!r} must be {self.describe_range()}, got {text!r}")
        return value


@dataclass(frozen=True)
class Column:
    """One column of the synthetic world, for the datasheet."""

    name: str
    role: str  # "feature", "label", "truth", "sensitive", "context"
    description: str
    bias: str = ""  # the bias put in on purpose, if any


@dataclass(frozen=True)
class Headline:
    """The disparity a case is about: ``metric`` of ``group`` against the reference."""

    attribute: str
    metric: str
    group: str
    meaning: str  # plain words: "how much less often women are shortlisted"


@dataclass(frozen=True)
class Spec:
    """One run's settings, handed to every hook of a case."""

    seed: int
    n_samples: int
    knobs: dict[str, Any]


@dataclass(frozen=True)
class Case:
    """A case of the casebook. See ``cases/hiring.py`` for a complete example.

    Hooks receive a :class:`Spec`. Only ``make_data`` and a model are
    required; ``split`` defaults to a stratified random split of the data and
    ``decide`` to fitting ``make_model`` on the training part.

    ``display(record)`` turns the case's own analyses (``record["analyses"]``)
    into blocks for its page, so the renderer stays generic. A block is one of

    - ``{"kind": "text", "markdown": str}`` (the case's own words; numbers
      must come from the record);
    - ``{"kind": "table", "title": str, "columns": [str], "rows": [[cell]],
      "caption": str, "percent": [bool]}`` where a cell is a string, a number
      or an estimate ``{"value", "ci_low", "ci_high"}``;
    - ``{"kind": "figure", "id": str, "title": str, "caption": str, "alt": str,
      "chart": "line" | "errorbar", "xlabel": str, "ylabel": str,
      "percent_y": bool, "xscale": "linear" | "log", "reference_line": float | None,
      "series": [{"label": str, "x": [..], "y": [..], "low": [..] | None,
      "high": [..] | None}]}``.
    """

    slug: str
    title: str
    real_system: str
    summary: str
    pitfalls: tuple[str, ...]
    regulation: str
    make_data: Callable[..., pd.DataFrame]
    columns: tuple[Column, ...]
    features: tuple[str, ...]
    label: str
    sensitive: tuple[str, ...]
    headline: Headline
    metrics_that_matter: dict[str, str]
    knobs: tuple[Knob, ...]
    sweeps: dict[str, Sequence[Any]]
    make_model: Callable[[Spec], Any] | None = None
    model_description: str = ""
    truth: str | None = None
    truth_headline: Headline | None = None  # the disparity to compare label vs truth on
    reference: dict[str, str] = field(default_factory=dict)
    intersectional: bool = False
    default_n_samples: int = 20_000
    test_size: float = 0.3
    split: Callable[[pd.DataFrame, Spec], tuple[pd.DataFrame, pd.DataFrame]] | None = None
    decide: Callable[[pd.DataFrame, pd.DataFrame, Spec], dict] | None = None
    analyses: Callable[[Any], dict] | None = None
    sweep_extras: Callable[[Any], dict] | None = None
    display: Callable[[dict], list[dict]] | None = None  # record -> page blocks (see below)
    mitigations: tuple[str, ...] | None = None  # None: all that fit a binary classifier
    mitigation_attribute: str | None = None  # default: the headline's attribute

    def __post_init__(self) -> None:
        unknown = [p for p in self.pitfalls if p not in PITFALLS]
        if unknown:
            raise CaseError(f"case {self.slug!r} names unknown pitfalls {unknown}; use "
                            "entries of cases._framework.PITFALLS")

    def knob(self, name: str) -> Knob:
        for k in self.knobs:
            if k.name == name:
                return k
        valid = ", ".join(f"{k.name} ({k.describe_range()})" for k in self.knobs)
        raise CaseError(f"case {self.slug!r} has no knob {name!r}; its knobs are: {valid}")

    def resolve_knobs(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults updated with checked overrides, in declaration order."""
        values = {k.name: k.default for k in self.knobs}
        for name, raw in (overrides or {}).items():
            values[name] = self.knob(name).parse(raw)
        return values
