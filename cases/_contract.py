"""What a case declares: the contract between a case module and the shared runner.

A case is its world (``make_data``), its story (``cases/text/<slug>.md`` and
its page, ``cases/pages/<module>.py``) and a declaration (:class:`Case`):
what to audit and why, its knobs, its split, its variants. The runner
(``cases._runner``) does everything else. See ``cases/README.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from sklearn.model_selection import train_test_split

# The problems of machine learning "in real life" of the course the casebook grew
# from (shared/seed): the six theoretical ones (the data one in two parts, and
# the feedback loop as the sharpest case of a model that does not adapt). One
# vocabulary, so the home page can set every case against every pitfall.
PITFALLS = (
    "incomplete or unrepresentative data",
    "statistical bias in the data or labels",
    "a loss or metric that does not fit the need",
    "information leaking into the model",
    "a model that can hardly be interpreted",
    "a feedback loop: the model changes its own data",
    "a model that does not adapt to change",
    "overfitting",
)
# The course's communication problems, asked of every case as discussion questions.
COMMUNICATION = {
    "errs": "Would users accept a system that makes errors?",
    "opaque": "Would users accept a system they cannot interpret?",
}

ActsOn = Literal["world", "model", "threshold"]


class CaseError(ValueError):
    """A case, a knob or a value that does not exist or is out of range (one-line message)."""


@dataclass(frozen=True)
class Knob:
    """A setting a reader may change: of the world, of the model, or the decision threshold.

    ``low``/``high`` bound a number; ``choices`` lists the values of a
    categorical knob. ``acts_on`` says what changing it re-does: ``"world"``
    regenerates the data (the runner passes only these to ``make_data``),
    ``"model"`` refits on the same data, ``"threshold"`` re-decides with the
    same model (a prediction is ``score >= threshold``).
    """

    name: str
    default: Any
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    integer: bool = False
    acts_on: ActsOn = "world"

    def __post_init__(self) -> None:
        if self.acts_on not in ("world", "model", "threshold"):
            raise CaseError(f"knob {self.name!r}: acts_on must be world, model or threshold")
        if self.choices is None and (self.low is None or self.high is None):
            raise CaseError(f"knob {self.name!r} needs low and high, or choices")
        self.parse(self.default)  # a default outside its own range is a bug in the case

    def describe_range(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        return f"{self.low:g} to {self.high:g}" + (" (whole number)" if self.integer else "")

    def parse(self, text: str | Any) -> Any:
        """Turn ``--set name=text`` (or a value from a sweep or a record) into a checked value."""
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
        if not math.isfinite(value):
            raise CaseError(f"knob {self.name!r} takes a finite number, got {text!r}")
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


ROLES = ("feature", "label", "truth", "sensitive", "context")


@dataclass(frozen=True)
class Headline:
    """The disparity a case is about: ``metric`` of ``group`` against the reference."""

    attribute: str
    metric: str
    group: str
    meaning: str  # plain words: "how much less often women are shortlisted"


@dataclass(frozen=True)
class Spec:
    """One run's settings: the seed, the size and every knob's value."""

    seed: int
    n_samples: int
    knobs: Mapping[str, Any]

    def with_knobs(self, **changes: Any) -> Spec:
        return Spec(self.seed, self.n_samples, {**self.knobs, **changes})


@dataclass(frozen=True)
class Split:
    """How the world is split into the rows a model learns from and the rows audited.

    Use the constructors: ``Split.stratified(0.3)`` (random, stratified on
    the label), ``Split.random(0.3)`` (random; every point of a sweep audits
    the same people even when the label moves), ``Split.by_column("setting",
    train="lab", test="deployment")`` (trained in one setting, audited in
    another), or ``Split.none()`` (nothing is fitted on people: everyone is
    audited).
    """

    kind: Literal["stratified", "random", "by_column", "none"]
    test_size: float = 0.3
    column: str | None = None
    train: str | None = None
    test: str | None = None

    @classmethod
    def stratified(cls, test_size: float = 0.3) -> Split:
        return cls("stratified", test_size)

    @classmethod
    def random(cls, test_size: float = 0.3) -> Split:
        return cls("random", test_size)

    @classmethod
    def by_column(cls, column: str, *, train: str, test: str) -> Split:
        return cls("by_column", column=column, train=train, test=test)

    @classmethod
    def none(cls) -> Split:
        return cls("none")

    def apply(self, data: pd.DataFrame, label: str, seed: int
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self.kind == "none":
            return data.iloc[:0], data
        if self.kind == "by_column":
            where = data[self.column].astype(str)
            train = data[where == self.train].reset_index(drop=True)
            test = data[where == self.test].reset_index(drop=True)
            if train.empty or test.empty:
                raise CaseError(f"split by {self.column!r}: no rows with "
                                f"{self.train if train.empty else self.test!r}")
            return train, test
        stratify = data[label] if self.kind == "stratified" else None
        return tuple(train_test_split(data, test_size=self.test_size, random_state=seed,
                                      stratify=stratify))


@dataclass(frozen=True)
class Variant:
    """The same world and split with another model, feature set, threshold or label.

    The runner fits and audits each variant like the case's own model (and
    like a mitigation): against the label, and against the truth where the
    world knows it.
    """

    name: str
    description: str
    knobs: Mapping[str, Any] = field(default_factory=dict)  # model or threshold knobs
    features: tuple[str, ...] | None = None
    model: Callable[[Spec], Any] | None = None
    label: str | None = None  # train on another column


@dataclass(frozen=True)
class Case:
    """A case of the casebook: a declaration. See ``cases/README.md``; ``cases/hiring.py``
    is the worked example.

    Required: the world (``make_data`` in scikit-learn's ``make_*`` style,
    called with the *world* knobs only), the datasheet (``columns``), the
    label, the sensitive attributes, the headline and either a ``model``
    (``Spec -> unfitted estimator``) or a ``decide`` hook for a rule that is
    not a classifier. Hooks (``decide``, ``analyses``, ``tracked``) receive the
    run (``run.case``, ``run.spec``, ``run.audit(...)``), never a global.
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
    positive_decision: str  # what a prediction of 1 is, in words: "shortlisted", "flagged"
    favorable_prediction: int = 1  # 0 when the positive decision is a burden
    model: Callable[[Spec], Any] | None = None
    model_description: str = ""
    truth: str | None = None
    truth_headline: Headline | None = None  # the disparity to compare label and truth on
    other_labels: tuple[str, ...] = ()  # more columns to audit the decisions against
    reference: dict[str, str] = field(default_factory=dict)
    intersectional: bool = False
    default_n_samples: int = 20_000
    split: Split = field(default_factory=Split.stratified)
    variants: tuple[Variant, ...] = ()
    decide: Callable[[Any], Any] | None = None  # run -> Decisions, for a rule, not a model
    analyses: Callable[[Any], dict] | None = None  # run -> the case's own numbers
    tracked: dict[str, Callable[[Any], Any]] = field(default_factory=dict)  # per sweep point
    mitigations: tuple[str, ...] | None = None  # None: all that fit a binary classifier
    mitigation_attribute: str | None = None  # default: the headline's attribute
    questions: dict[str, str] = field(default_factory=dict)  # COMMUNICATION key -> question

    def __post_init__(self) -> None:
        def bad(msg: str) -> CaseError:
            return CaseError(f"case {self.slug!r}: {msg}")

        unknown = [p for p in self.pitfalls if p not in PITFALLS]
        if unknown:
            raise bad(f"unknown pitfalls {unknown}; use entries of cases.PITFALLS")
        if (self.model is None) == (self.decide is None):
            raise bad("declare exactly one of model (a classifier) and decide (a rule)")
        if self.favorable_prediction not in (0, 1):
            raise bad("favorable_prediction must be 1 or 0")
        names = [k.name for k in self.knobs]
        if len(set(names)) != len(names):
            raise bad("two knobs share a name")
        if len(self.threshold_knobs) > 1:
            raise bad("at most one knob acts on the threshold")
        for knob, values in self.sweeps.items():
            k = self.knob(knob)
            for v in values:
                k.parse(v)
        for v in self.variants:
            for name in v.knobs:
                if self.knob(name).acts_on == "world":
                    raise bad(f"variant {v.name!r} changes the world knob {name!r}; a variant "
                              "keeps the world (sweep it instead)")
        unknown_q = set(self.questions) - set(COMMUNICATION)
        if unknown_q:
            raise bad(f"unknown question keys {sorted(unknown_q)}; use {sorted(COMMUNICATION)}")

    @property
    def threshold_knobs(self) -> list[Knob]:
        return [k for k in self.knobs if k.acts_on == "threshold"]

    @property
    def threshold_knob(self) -> Knob | None:
        knobs = self.threshold_knobs
        return knobs[0] if knobs else None

    @property
    def labels(self) -> dict[str, str]:
        """Every column the decisions are audited against, by role: label, truth, others."""
        out = {"label": self.label}
        if self.truth:
            out["truth"] = self.truth
        out.update({c: c for c in self.other_labels})
        return out

    def knob(self, name: str) -> Knob:
        for k in self.knobs:
            if k.name == name:
                return k
        valid = ", ".join(f"{k.name} ({k.describe_range()})" for k in self.knobs)
        raise CaseError(f"case {self.slug!r} has no knob {name!r}; its knobs are: {valid}")

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise CaseError(f"case {self.slug!r} has no variant {name!r}; its variants are: "
                        + ", ".join(v.name for v in self.variants))

    def resolve_knobs(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults updated with checked overrides, in declaration order."""
        values = {k.name: k.default for k in self.knobs}
        for name, raw in (overrides or {}).items():
            values[name] = self.knob(name).parse(raw)
        return values

    def world_knobs(self, knobs: Mapping[str, Any]) -> dict[str, Any]:
        """The knobs ``make_data`` takes."""
        return {k.name: knobs[k.name] for k in self.knobs if k.acts_on == "world"}
