"""One run of a case: the world, the split, the decisions, and every audit of them.

:class:`Run` is what every hook of a case receives. It owns the audits: the
decisions audited against the label, the truth or another declared column
are computed once, on first use, with the case's settings (sensitive
attributes, reference groups, favourable decision, bootstrap, seed).
Variants and threshold changes are runs too, sharing the world.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import fairness
from fairness import AuditResult, Estimate, Gap
from fairness.mitigations import positive_proba

from ._contract import Case, CaseError, Headline, Spec, Variant

BOOTSTRAP = 1000
JOINT_SEPARATOR = " × "  # how the engine names an intersection: "sex × race"
PERFORMANCE = ("accuracy", "balanced_accuracy", "tpr", "fpr", "ppv", "selection_rate",
               "base_rate")


@dataclass
class Decisions:
    """What deciding produced: the audited rows with ``prediction`` (and ``score``
    where there is one), the fitted model, and whatever else a ``decide`` hook
    wants its analyses to see."""

    test: pd.DataFrame
    model: Any = None
    extra: dict = field(default_factory=dict)


class Run:
    """A case's world, split and decisions; its audits on demand.

    Attributes
    ----------
    case : Case
    spec : Spec
        Seed, size and knobs of this run (a variant's knobs included).
    data, train : pandas.DataFrame
        The world and the rows the model learned from.
    test : pandas.DataFrame
        The audited rows, with ``prediction`` (and ``score``).
    model : object
        The fitted estimator (None for a rule).
    extra : dict
        What a ``decide`` hook returned besides the decisions.
    variant : Variant or None
        The variant this run is, if any.
    """

    def __init__(self, case: Case, spec: Spec, data: pd.DataFrame, train: pd.DataFrame,
                 rows: pd.DataFrame, variant: Variant | None = None, cross_check: bool = True):
        """Decide on ``rows`` at once; a ``decide`` hook sees this run without ``test``."""
        self.case, self.spec, self.data, self.train = case, spec, data, train
        self.rows = rows  # the audited rows before deciding
        self.variant = variant
        self.cross_check = cross_check
        self._audits: dict[str, AuditResult] = {}
        self._variants: dict[str, Run] = {}
        d = self._decide()
        self.test, self.model, self.extra = d.test, d.model, d.extra

    # ------------------------------------------------------------------ deciding

    @property
    def features(self) -> list[str]:
        v = self.variant
        return list(v.features if v is not None and v.features else self.case.features)

    @property
    def trained_on(self) -> str:
        v = self.variant
        return v.label if v is not None and v.label else self.case.label

    def make_model(self) -> Any:
        """A new, unfitted model for this run (the variant's, if it has one)."""
        v = self.variant
        make = v.model if v is not None and v.model is not None else self.case.model
        return make(self.spec)

    def _decide(self) -> Decisions:
        if self.case.decide is not None:
            out = self.case.decide(self)
            if not isinstance(out, Decisions) or "prediction" not in out.test:
                raise CaseError(f"case {self.case.slug!r}: decide must return Decisions whose "
                                "test frame has a 'prediction' column")
            return out
        model = self.make_model()
        model.fit(self.train[self.features], self.train[self.trained_on].to_numpy())
        return Decisions(self.score_and_decide(model, self.rows), model)

    def score_and_decide(self, model: Any, rows: pd.DataFrame) -> pd.DataFrame:
        """``rows`` with the model's ``score`` (if any) and ``prediction``.

        With a threshold knob the prediction is ``score >= threshold``;
        otherwise it is the model's own ``predict``.
        """
        X = rows[self.features]
        out = rows.copy()
        if hasattr(model, "predict_proba"):
            out["score"] = positive_proba(model, X)
        knob = self.case.threshold_knob
        if knob is not None:
            out["prediction"] = (out["score"] >= self.spec.knobs[knob.name]).astype(int)
        else:
            out["prediction"] = np.asarray(model.predict(X)).astype(int)
        return out

    def with_decisions(self, test: pd.DataFrame, spec: Spec | None = None) -> Run:
        """The same run with other decisions on the same rows (nothing is refitted)."""
        other = object.__new__(Run)
        other.__dict__.update(self.__dict__)
        other._audits, other._variants = {}, {}
        other.cross_check = False
        other.test = test
        if spec is not None:
            other.spec = spec
        return other

    def with_threshold(self, value: float) -> Run:
        """The same model deciding at another threshold: nothing is refitted."""
        knob = self.case.threshold_knob
        if knob is None:
            raise CaseError(f"case {self.case.slug!r} has no threshold knob")
        spec = self.spec.with_knobs(**{knob.name: knob.parse(value)})
        test = self.test.copy()
        test["prediction"] = (test["score"] >= spec.knobs[knob.name]).astype(int)
        return self.with_decisions(test, spec)

    def variant_run(self, name: str) -> Run:
        """The run of one of the case's variants on this run's world (computed once)."""
        if name not in self._variants:
            v = self.case.variant(name)
            spec = self.spec.with_knobs(**{k: self.case.knob(k).parse(x)
                                           for k, x in v.knobs.items()})
            self._variants[name] = Run(self.case, spec, self.data, self.train, self.rows,
                                       variant=v, cross_check=False)
        return self._variants[name]

    # ------------------------------------------------------------------ auditing

    def column_for(self, against: str) -> str:
        labels = self.case.labels
        if against in labels:
            return labels[against]
        if against in self.test:
            return against
        raise CaseError(f"case {self.case.slug!r}: nothing to audit against {against!r}; "
                        f"use one of {', '.join(labels)}")

    def audit(self, against: str = "label") -> AuditResult:
        """The decisions audited against the label, the truth, or another column (cached)."""
        column = self.column_for(against)
        if column not in self._audits:
            cross = None if (self.cross_check and column == self.case.label) else False
            self._audits[column] = self.audit_frame(self.test, column, cross_check=cross)
        return self._audits[column]

    @property
    def audits(self) -> dict[str, AuditResult]:
        """Every declared audit (label, truth, other labels), by role."""
        return {role: self.audit(role) for role in self.case.labels}

    def audit_frame(self, frame: pd.DataFrame, label: str, *, prediction: str = "prediction",
                    sensitive: list[str] | None = None, reference: dict | None = None,
                    cross_check: bool | None = False) -> AuditResult:
        """An audit with this case's settings, for a case's own analysis of other rows."""
        sensitive = list(sensitive or self.case.sensitive)
        audited = {*sensitive, JOINT_SEPARATOR.join(sensitive)}
        reference = {k: v for k, v in (reference if reference is not None
                                       else self.case.reference).items() if k in audited}
        return fairness.audit(
            frame, label=label, prediction=prediction,
            score="score" if "score" in frame and prediction == "prediction" else None,
            sensitive=sensitive, reference=reference,
            intersectional=self.case.intersectional and len(sensitive) > 1,
            favorable_prediction=self.case.favorable_prediction,
            bootstrap=BOOTSTRAP, random_state=self.spec.seed, cross_check=cross_check,
        )

    def gap(self, against: str = "label", headline: Headline | None = None) -> Gap:
        """The headline disparity (or another one) against the label, truth or a column."""
        h = headline or self.case.headline
        return self.audit(against).gap(h.attribute, h.metric, h.group)

    def performance(self, against: str = "label") -> dict[str, Estimate]:
        """Overall accuracy, error rates, precision and rates against one label."""
        result = self.audit(against)
        return {m: result.overall(m) for m in PERFORMANCE}
