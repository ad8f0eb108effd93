"""Predictive policing: a place-based forecaster that learns from its own patrols.

Stands for PredPol (later Geolitica) and the runaway feedback loop that Lum and
Isaac (2016) showed on Oakland's drug records and Ensign et al. (FAT* 2018)
modelled as an urn. Nothing is trained on people: the world is the city, its
residents and the crime recorded before the loop; the "model" is the allocation
rule, run ``n_runs`` times, and residents' stops follow its patrols.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import poisson

from fairness import Estimate

from ._contract import Case, Column, Headline, Knob, Split, Variant
from ._run import Decisions
from ._world import categorical, streams, validated

DISTRICTS = ("D1", "D2", "D3", "D4", "D5", "D6")
MOSTLY_MINORITY, MOSTLY_MAJORITY = "mostly minority", "mostly majority"
DISTRICT_GROUPS = (MOSTLY_MINORITY,) * 2 + (MOSTLY_MAJORITY,) * 4
MINORITY_SHARE = (0.75, 0.75, 0.10, 0.10, 0.10, 0.10)  # of each district's residents
BASE_INCIDENTS = 30.0  # true incidents per district per round at the base rate
BASE_OFFENDING = 0.10  # residents' chance of offending in the audited rounds, base rate
DETECT = 0.10  # share of a district's unreported incidents one patrol finds in a round
HISTORY_ROUNDS = 3
PAST_PATROLS = 6  # patrols per round before the loop: the past is the world's, not the model's
AUDIT_ROUNDS = 20
STOP_PER_PATROL = 0.005  # hazard of a stop that one patrol-round puts on its district's residents
OFFENDER_LIFT = 3.0  # an offender is this many times as likely to be stopped as a neighbour
PRIOR = 1.0  # a pseudo-count per district so that no share starts at exactly zero
RECORDS = ("uncorrected", "reported_only", "corrected")
ALLOCATIONS = ("proportional", "hotspots")
MAX_TRAJECTORY_POINTS = 101
INTERVAL = "median across runs, with the 2.5th and 97.5th percentiles of the runs"
STREAMS = ("world", "stops", "runs")  # one list: the generator and decide name the same streams

KNOBS = (
    Knob("rate_inequality", 0.0, "Relative difference of true offending in the mostly-minority "
         "districts (0: equal everywhere; 0.25: 25% higher).", low=-0.5, high=1.0),
    Knob("report_rate", 0.02, "Share of incidents majority residents report (the loop "
         "matters for offences police mostly find themselves, as with drug offences).",
         low=0.01, high=0.5),
    Knob("reporting_gap", 0.0, "How much less often minority residents report, relative "
         "(0: as often as the majority; 0.5: half as often).", low=0.0, high=0.9),
    Knob("history_bias", 2.0, "Extra patrols per district the mostly-minority districts "
         "had before the loop (0: none; 2: three times as many).", low=0.0, high=4.0),
    # Ten patrols find all of a district's unreported incidents: a plan never finds more.
    Knob("n_patrols", 6, "Patrols per round.", low=1, high=round(1 / DETECT), integer=True,
         acts_on="model"),
    Knob("n_rounds", 200, "Rounds of the loop (e.g. days).", low=20, high=1000, integer=True,
         acts_on="model"),
    Knob("allocation", "proportional", "The model's rule: patrols drawn in proportion to "
         "recorded crime, or shared by the three districts with the most.",
         choices=ALLOCATIONS, acts_on="model"),
    Knob("records", "uncorrected", "What the model records: reported and discovered "
         "incidents, reported ones only, or Ensign et al.'s correction (discovered incidents, "
         "history included, weighted by the inverse of their chance of being found).",
         choices=RECORDS, acts_on="model"),
    Knob("n_runs", 100, "Runs of the loop behind every interval.", low=10, high=500,
         integer=True, acts_on="model"),
)


@dataclass(frozen=True)
class City:
    """The districts: what is true and what was recorded before the loop (one value each)."""

    district: tuple[str, ...]
    crime_rate: np.ndarray  # true incidents per round
    report_rate: np.ndarray  # share of incidents residents report
    history_reported: np.ndarray
    history_discovered: np.ndarray  # found by patrols and not reported
    history_detection: np.ndarray  # chance an unreported incident was found, before the loop
    minority: np.ndarray  # share of the district's residents who are minority

    @property
    def true_share(self) -> np.ndarray:
        return self.crime_rate / self.crime_rate.sum()

    @property
    def mostly_minority(self) -> np.ndarray:
        return np.isin(self.district, DISTRICTS[:2])

    @classmethod
    def of(cls, frame: pd.DataFrame) -> City:
        """The city a frame of :func:`make_predictive_policing_data` describes."""
        by = frame.groupby("district", sort=True)
        first = by[["district_crime_rate", "district_report_rate", "history_reported",
                    "history_discovered", "history_detection"]].first()
        minority = by["group"].agg(lambda g: (g == "minority").mean())
        return cls(tuple(first.index), *(first[c].to_numpy(float) for c in first),
                   minority.to_numpy(float))


@dataclass(frozen=True)
class Loop:
    """The loop's runs (axis 0): ``share[r, i, d]``, district ``d``'s share of patrols in
    round ``rounds[i]``; ``patrols[r, d]``, its mean patrols in the last ``audit_rounds``."""

    rounds: np.ndarray
    share: np.ndarray
    patrols: np.ndarray
    audit_rounds: int


def _allocate(records: np.ndarray, u_patrol: np.ndarray, n_patrols: int, allocation: str):
    """Patrols per district in each run, the share the model meant to give, and each
    district's chance (known in advance) that one of its unreported incidents is found."""
    n_districts = records.shape[-1]
    if allocation == "proportional":
        # Ensign et al.'s urn: each patrol goes to a district with probability
        # proportional to its recorded crime.
        share = records / records.sum(axis=-1, keepdims=True)
        cum = np.cumsum(share, axis=-1)
        cum[:, -1] = 1.0
        where = (u_patrol[:, :, None] >= cum[:, None, :]).sum(axis=-1)
        patrols = (where[..., None] == np.arange(n_districts)).sum(axis=-2)
        return patrols, share, DETECT * n_patrols * share
    # PredPol-like: the half of the districts with the most recorded crime share
    # the patrols; ties go to the lower-numbered district.
    n_hot = n_districts // 2
    rank = np.argsort(np.argsort(-records, axis=-1, kind="stable"), axis=-1, kind="stable")
    patrols = np.where(rank < n_hot, n_patrols // n_hot + (rank < n_patrols % n_hot), 0)
    return patrols, patrols / n_patrols, DETECT * patrols


def simulate_patrols(city: City, records: str = "uncorrected", *, n_patrols: int = 6,
                     n_rounds: int = 200, allocation: str = "proportional", n_runs: int = 100,
                     random_state: int = 0) -> Loop:
    """Run the feedback loop ``n_runs`` times with one way of recording crime.

    Each round the model allocates ``n_patrols`` patrols from its recorded
    crime; residents report a share of every district's incidents; each patrol
    finds ``DETECT`` of its district's unreported incidents; what is recorded
    (``records``: see the knob) feeds the next round. Run ``k`` draws from the
    ``k``-th child of the seed's ``runs`` stream, whatever ``n_runs`` and ``records``.

    Examples
    --------
    >>> city = City.of(make_predictive_policing_data(2000, random_state=0))
    >>> simulate_patrols(city, n_runs=10, n_rounds=50).share.shape  # runs, rounds, districts
    (10, 50, 6)
    """
    n_d = len(city.district)
    draws = [(rng.poisson(city.crime_rate * city.report_rate, size=(n_rounds, n_d)),
              rng.random((n_rounds, n_patrols)), rng.random((n_rounds, n_d)))
             for rng in streams(random_state, *STREAMS)["runs"].spawn(n_runs)]
    reported, u_patrol, u_found = (np.stack(a, axis=1) for a in zip(*draws, strict=True))

    def weight(chance):  # what one discovered incident counts for in the records
        if records == "corrected":  # where the chance is 0 nothing can be found
            return np.divide(1.0, chance, out=np.zeros_like(chance, dtype=float),
                             where=chance > 0)
        return float(records == "uncorrected")

    recorded = np.tile(PRIOR + city.history_reported
                       + city.history_discovered * weight(city.history_detection), (n_runs, 1))
    unreported_rate = city.crime_rate * (1 - city.report_rate)
    share, patrols = np.empty((2, n_runs, n_rounds, n_d))
    for t in range(n_rounds):
        patrols[:, t], share[:, t], chance = _allocate(recorded, u_patrol[t], n_patrols,
                                                       allocation)
        # Poisson counts by inversion of shared uniforms: under two ways of recording
        # they are coupled, so the records differ by what they record, not by luck.
        found = poisson.ppf(u_found[t], unreported_rate * DETECT * patrols[:, t]).clip(0)
        recorded += reported[t] + found * weight(chance)
    keep = np.unique(np.round(np.linspace(1, n_rounds, min(n_rounds, MAX_TRAJECTORY_POINTS)))
                     .astype(int))  # rounds (1-based) whose shares the record keeps
    audit_rounds = min(AUDIT_ROUNDS, n_rounds)
    return Loop(keep, share[:, keep - 1], patrols[:, -audit_rounds:].mean(axis=1), audit_rounds)


def _stop_chance(patrols: np.ndarray, residents: pd.DataFrame, audit_rounds: int,
                 rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Residents' (``rows``') chance of a stop in the audited rounds from the patrols in
    their district (runs may lead ``patrols``' axes); an offender's is ``OFFENDER_LIFT``
    times their neighbours'."""
    district = residents["district"].cat.codes.to_numpy()
    weight = 1 + (OFFENDER_LIFT - 1) * residents["offended"].to_numpy()
    mean_weight = np.bincount(district, weights=weight) / np.bincount(district)
    weight, district = weight[rows], district[rows]
    hazard = (STOP_PER_PATROL * audit_rounds * patrols[..., district] * weight
              / mean_weight[district])
    return 1 - np.exp(-hazard)


@validated(KNOBS)
def make_predictive_policing_data(
    n_samples: int = 20_000,
    random_state: int = 0,
    *,
    rate_inequality: float = 0.0,
    report_rate: float = 0.02,
    reporting_gap: float = 0.0,
    history_bias: float = 2.0,
) -> pd.DataFrame:
    """Generate a city of six districts, its residents and the crime recorded before the loop.

    Two districts are mostly minority (75% of residents), four mostly majority
    (10%). Residents of the mostly-minority districts offend at
    ``1 + rate_inequality`` times the others' rate, whatever their own group.
    Before the loop, the department recorded ``HISTORY_ROUNDS`` rounds of crime
    with ``PAST_PATROLS`` patrols a round, ``1 + history_bias`` times as dense
    per district in the mostly-minority districts. The loop and its stops are
    the model's (:func:`simulate_patrols`).

    Parameters
    ----------
    n_samples : int
        Number of residents.
    random_state : int
        Seed; the world, the stops and every run of the loop get a stream of it.
    rate_inequality, report_rate, reporting_gap, history_bias : float
        Higher offending in the mostly-minority districts (relative; 0: equal
        rates), majority residents' reporting rate, minority residents'
        relative shortfall in reporting, and the extra density of past patrols
        in the mostly-minority districts (2: three times as many): see ``KNOBS``.

    Returns
    -------
    pandas.DataFrame
        One row per resident: ``district``, ``district_group``, ``group``, the
        true ``offended`` (label), and the district's true rates and recorded
        history (``district_*``, ``history_*``).

    Examples
    --------
    >>> df = make_predictive_policing_data(2000, random_state=0)
    >>> df.shape
    (2000, 9)
    >>> sorted(df["district_group"].unique())
    ['mostly majority', 'mostly minority']
    """
    rng = streams(random_state, *STREAMS)["world"]
    minority = np.array(MINORITY_SHARE)
    is_minority_district = np.array([g == MOSTLY_MINORITY for g in DISTRICT_GROUPS])
    multiplier = np.where(is_minority_district, 1 + rate_inequality, 1.0)
    crime_rate = BASE_INCIDENTS * multiplier
    district_report = report_rate * (1 - reporting_gap * minority)

    # The past: patrols with fixed, biased shares; each district's chance of
    # having an unreported incident found is known to the department.
    past_share = np.where(is_minority_district, 1 + history_bias, 1.0)
    history_detection = DETECT * PAST_PATROLS * past_share / past_share.sum()
    history_reported = rng.poisson(HISTORY_ROUNDS * crime_rate * district_report)
    history_discovered = rng.poisson(
        HISTORY_ROUNDS * crime_rate * (1 - district_report) * history_detection)

    district = rng.integers(0, len(DISTRICTS), size=n_samples)
    group = np.where(rng.random(n_samples) < minority[district], "minority", "majority")
    offended = (rng.random(n_samples) < BASE_OFFENDING * multiplier[district]).astype(int)
    d = district
    return pd.DataFrame({
        "district": categorical(d, DISTRICTS), "district_group": np.array(DISTRICT_GROUPS)[d],
        "group": group, "offended": offended,
        "district_crime_rate": crime_rate[d], "district_report_rate": district_report[d],
        "history_reported": history_reported[d], "history_discovered": history_discovered[d],
        "history_detection": history_detection[d]})


# --- hooks of the case -----------------------------------------------------------------


def _decide(run) -> Decisions:
    """Run the loop with the run's records and draw each resident's stop from its patrols."""
    city = City.of(run.data)  # the model knobs are the loop's settings
    loop = simulate_patrols(city, random_state=run.spec.seed, **{
        x.name: run.spec.knobs[x.name] for x in run.case.knobs if x.acts_on == "model"})
    test = run.rows.copy()
    chance = _stop_chance(loop.patrols.mean(axis=0), test, loop.audit_rounds)
    # The same uniforms under every way of recording: a resident's luck is theirs.
    u = streams(run.spec.seed, *STREAMS)["stops"].random(len(test))
    test["prediction"] = (u < chance).astype(int)
    return Decisions(test, extra={"city": city, "loop": loop})


def _by_records(run) -> dict:
    """The run under each way of recording crime: its own, then its variants'."""
    runs = {run.spec.knobs["records"]: run}
    for v in run.case.variants:
        runs.setdefault(v.knobs["records"], run.variant_run(v.name))
    return {r: runs[r] for r in RECORDS if r in runs}


def _across(draws: np.ndarray) -> Estimate:
    """The median run, with the 2.5th–97.5th percentiles of the runs (runs where it is
    undefined, such as a rate with nobody stopped, are left out and counted)."""
    draws = np.asarray(draws, dtype=float)
    ok = draws[np.isfinite(draws)]
    return Estimate.from_draws(float(np.median(ok)) if ok.size else np.nan, draws,
                               reason="undefined in every run")


def _minority_share(run) -> np.ndarray:
    """The mostly-minority districts' patrol share: runs × kept rounds."""
    return run.extra["loop"].share[..., run.extra["city"].mostly_minority].sum(axis=-1)


def _across_runs(run) -> dict:
    """Each run's expected stop rate and hit rate of each kind of district: exact over this
    city's residents, whose chance depends only on their district and offending (a cell)."""
    loop, t = run.extra["loop"], run.test
    offended, codes = t["offended"].to_numpy(), t["district"].cat.codes.to_numpy()
    _, rows, n = np.unique(codes * 2 + offended, return_index=True, return_counts=True)
    stops = _stop_chance(loop.patrols, t, loop.audit_rounds, rows) * n
    is_min = t["district_group"].to_numpy()[rows] == MOSTLY_MINORITY
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):  # undefined runs: left out, counted
        for key, num, den in (("stop_rate", stops, n),
                              ("hit_rate", stops * offended[rows], stops)):
            a, b = (num[:, m].sum(axis=1) / den[..., m].sum(axis=-1) for m in (is_min, ~is_min))
            out[key] = {MOSTLY_MINORITY: _across(a), MOSTLY_MAJORITY: _across(b),
                        "difference": _across(a - b), "ratio": _across(a / b)}
    return out


def _analyses(run) -> dict:
    city, loop, k = run.extra["city"], run.extra["loop"], run.spec.knobs
    loops = {}
    for records, r in _by_records(run).items():
        last = r.extra["loop"].share[:, -1]
        loops[records] = {
            "mostly_minority_share_over_rounds": [_across(s) for s in _minority_share(r).T],
            "final_share": {d: _across(last[:, i]) for i, d in enumerate(city.district)},
            # A district's patrols and crime are attributed to its residents in proportion.
            "minority_residents_share": _across(last @ city.minority),
            "across_runs": _across_runs(r),
        }
    return {
        "simulation": {"n_runs": k["n_runs"], "n_rounds": k["n_rounds"], "rounds": loop.rounds,
                       "audit_rounds": loop.audit_rounds, "interval": INTERVAL},
        "districts": [{"district": d, "true_share": city.true_share[i],
                       "minority_share": city.minority[i]} for i, d in enumerate(city.district)],
        "minority_residents_crime_share": float(city.true_share @ city.minority),
        "loops": loops,
    }


def _per_records(fn):
    """A tracked quantity: ``fn(run)`` under each way of recording crime."""
    return lambda run: {records: fn(r) for records, r in _by_records(run).items()}


TRACKED = {
    "crime_share_mostly_minority": lambda run: float(
        run.extra["city"].true_share[run.extra["city"].mostly_minority].sum()),
    "patrol_share_mostly_minority": _per_records(lambda r: _across(_minority_share(r)[:, -1])),
    # Total variation distance: the share of patrols that would have to move.
    "tv_distance": _per_records(lambda r: _across(0.5 * np.abs(
        r.extra["loop"].share[:, -1] - r.extra["city"].true_share).sum(axis=-1))),
    "stop_rate_difference": _per_records(lambda r: _across_runs(r)["stop_rate"]["difference"]),
}


CASE = Case(
    slug="predictive-policing",
    title="Predictive policing: a runaway feedback loop",
    real_system="PredPol (later Geolitica), place-based crime forecasting; Ensign et al.'s urn",
    summary=(
        "A forecaster sends patrols where recorded crime is high, but crime is recorded mostly "
        "where patrols go. With equal true crime everywhere, the patrols never settle on equal "
        "shares; they keep the tilt of the old records, and residents of the over-patrolled "
        "districts are stopped more often."
    ),
    pitfalls=("a feedback loop: the model changes its own data",
              "statistical bias in the data or labels",
              "a model that does not adapt to change"),
    regulation=("EU AI Act Art. 5(1)(d) bans person-based crime prediction based solely on "
                "profiling; place-based forecasting falls outside it"),
    make_data=make_predictive_policing_data,
    columns=(
        Column("district", "context", "One of six districts D1–D6, drawn uniformly."),
        Column("district_group", "sensitive",
               "'mostly minority' for D1–D2 (75% of residents are minority), 'mostly majority' "
               "for D3–D6 (10%).",
               "The over-patrolled history (history_bias) falls on the mostly-minority "
               "districts."),
        Column("group", "sensitive",
               "The resident's own group: minority with probability 0.75 in D1–D2, 0.10 in "
               "D3–D6.",
               "None of its own: offending, reporting and stops depend on the district, "
               "except reporting_gap, which lowers minority residents' reporting."),
        Column("offended", "label",
               "True offending in the audited rounds: 10% of residents, times "
               "1 + rate_inequality in the mostly-minority districts; the same for both "
               "groups within a district.",
               "None: it is the truth, which no police record shows."),
        Column("district_crime_rate", "context",
               "The district's true incidents per round: 30 × (1 + rate_inequality) in D1–D2, "
               "30 elsewhere."),
        Column("district_report_rate", "context",
               "Share of the district's incidents its residents report: report_rate × "
               "(1 − reporting_gap × the district's minority share).",
               "Lower where minority residents are many, when reporting_gap > 0."),
        Column("history_reported", "feature",
               "Incidents reported in the 3 rounds before the loop (Poisson)."),
        Column("history_discovered", "feature",
               "Unreported incidents found by patrols in the 3 rounds before the loop "
               "(Poisson; 6 patrols a round, each finding 10% of its district's unreported "
               "incidents).",
               "Past patrols were (1 + history_bias) times as dense in the mostly-minority "
               "districts, so more was found there."),
        Column("history_detection", "context",
               "The chance, known from the past patrol plan, that an unreported incident was "
               "found: 0.1 × 6 patrols × the district's past share. The correction uses it."),
    ),
    features=("history_reported", "history_discovered"),
    label="offended",
    sensitive=("district_group", "group"),
    reference={"district_group": MOSTLY_MAJORITY, "group": "majority"},
    intersectional=True,
    positive_decision="stopped",
    favorable_prediction=0,  # a stop is a burden: impact ratios compare not being stopped
    headline=Headline("district_group", "selection_rate", MOSTLY_MINORITY,
                      "how much more often residents of the mostly-minority districts are "
                      "stopped than residents of the mostly-majority districts"),
    metrics_that_matter={
        "selection_rate": "The stop rate: how often residents are stopped at all, whatever "
                          "they did.",
        "fpr": "Residents who did not offend but were stopped: the cost of over-patrolling "
               "falls on them.",
        "tpr": "Offenders who were stopped: where patrols are scarce, offences go unseen.",
        "ppv": "The hit rate, share of stops that find an offender: the 'outcome test' often "
               "used to detect biased stops. Here its expected value is about the same in every "
               "district even when the stop rates are not: the bias is in where police are, "
               "not whom they stop.",
        "base_rate": "True offending: equal across districts when rate_inequality = 0.",
    },
    decide=_decide,
    model_description=(
        "No classifier: an allocation rule applied each round to recorded crime, starting "
        "from the history in the world. With 'proportional' (Ensign et al.'s urn) each patrol "
        "goes to a district with probability proportional to its recorded crime; with "
        "'hotspots' (PredPol-like) the three districts with the most share them. The loop runs "
        "n_runs times; a resident's chance of a stop in the last 20 rounds follows the mean "
        "patrols in their district. The variants record reported incidents only, or apply "
        "Ensign et al.'s correction, with the same random numbers."
    ),
    knobs=KNOBS,
    sweeps={"rate_inequality": (-0.25, 0.0, 0.25, 0.5)},
    split=Split.none(),  # the rule's training data is the world's recorded history
    variants=(
        Variant("reported incidents only", "The model records only what residents report; "
                "what its patrols discover is left out.", knobs={"records": "reported_only"}),
        Variant("Ensign et al.'s correction", "Discovered incidents are weighted by the "
                "inverse of their chance of being found, known when patrols were sent.",
                knobs={"records": "corrected"}),
    ),
    analyses=_analyses,
    tracked=TRACKED,
    mitigations=(),  # nothing is fitted, so nothing to mitigate: the variants are the remedies
)
