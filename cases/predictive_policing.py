"""Predictive policing: a place-based forecaster that learns from its own patrols.

Stands for PredPol (later Geolitica) and the runaway feedback loop that Lum and
Isaac (2016) showed on Oakland's drug records and Ensign et al. (FAT* 2018)
modelled as an urn. Nothing here is trained: the "model" is the allocation
rule, and the case is a simulation of what the rule does to the data it reads.

The simulation is run many times (``n_runs``, each run's seed spawned from the
main seed by :class:`numpy.random.SeedSequence`), so every share and gap comes
with an interval across runs; the person-level audit reads residents' stops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._framework import Case, CaseError, Column, Headline, Knob, Spec

DISTRICTS = ("D1", "D2", "D3", "D4", "D5", "D6")
MOSTLY_MINORITY, MOSTLY_MAJORITY = "mostly minority", "mostly majority"
DISTRICT_GROUPS = (MOSTLY_MINORITY,) * 2 + (MOSTLY_MAJORITY,) * 4
MINORITY_SHARE = (0.75, 0.75, 0.10, 0.10, 0.10, 0.10)  # of each district's residents
BASE_INCIDENTS = 30.0  # true incidents per district per round at the base rate
BASE_OFFENDING = 0.10  # residents' chance of offending in the audited rounds, base rate
DETECT = 0.10  # share of a district's unreported incidents one patrol finds in a round
HISTORY_ROUNDS = 3
AUDIT_ROUNDS = 20
STOP_PER_PATROL = 0.005  # hazard of a stop that one patrol-round puts on its district's residents
OFFENDER_LIFT = 3.0  # an offender is this many times as likely to be stopped as a neighbour
PRIOR = 1.0  # a pseudo-count per district so that no share starts at exactly zero
VARIANTS = ("uncorrected", "reported_only", "corrected")
ALLOCATIONS = ("proportional", "hotspots")
MAX_TRAJECTORY_POINTS = 101
INTERVAL = "2.5th and 97.5th percentiles across runs; value: the median"


@dataclass(frozen=True)
class City:
    """The districts of the synthetic city: what is true and what was recorded before."""

    district: tuple[str, ...]
    district_group: tuple[str, ...]
    crime_rate: np.ndarray  # true incidents per round
    report_rate: np.ndarray  # share of incidents residents report
    history_reported: np.ndarray
    history_discovered: np.ndarray  # found by patrols and not reported
    history_detection: np.ndarray  # chance an unreported incident was found, before the loop

    @property
    def true_share(self) -> np.ndarray:
        return self.crime_rate / self.crime_rate.sum()

    @property
    def minority_districts(self) -> np.ndarray:
        return np.array([g == MOSTLY_MINORITY for g in self.district_group])


@dataclass(frozen=True)
class Loop:
    """What the feedback loop did, for every variant (axis 0) and run (axis 1).

    ``share[v, r, i, d]`` is the share of patrols the model gave district ``d``
    in round ``rounds[i]``; ``patrols[v, r, d]`` is the mean number of patrols
    per round in ``d`` over the last ``audit_rounds`` rounds.
    """

    variants: tuple[str, ...]
    rounds: np.ndarray
    share: np.ndarray
    patrols: np.ndarray
    audit_rounds: int


def _seeds(random_state: int) -> tuple[np.random.SeedSequence, ...]:
    """The world, the stops and the runs each get their own stream of the main seed."""
    return tuple(np.random.SeedSequence(random_state).spawn(3))


def _checkpoints(n_rounds: int) -> np.ndarray:
    """Rounds (1-based) at which trajectories are kept: all of them, or about 100."""
    k = min(n_rounds, MAX_TRAJECTORY_POINTS)
    return np.unique(np.round(np.linspace(1, n_rounds, k)).astype(int))


def _poisson_quantile(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson draws by inversion of uniforms: the same uniform under two variants
    gives coupled counts, so the variants differ by their policy, not by luck."""
    u, mean = np.broadcast_arrays(u, mean)
    pmf = np.exp(-mean)
    cdf = pmf.copy()
    k = np.zeros(u.shape)
    top = float(mean.max()) if mean.size else 0.0
    for j in range(1, int(top + 12 * np.sqrt(top) + 20)):
        below = cdf < u
        if not below.any():
            break
        k += below
        pmf = pmf * mean / j
        cdf = cdf + pmf
    return k


def _allocate(records: np.ndarray, u_patrol: np.ndarray, n_patrols: int, allocation: str):
    """Patrols per district, the share the model meant to give, and each district's
    chance (known in advance) that one of its unreported incidents is found."""
    n_districts = records.shape[-1]
    if allocation == "proportional":
        # Ensign et al.'s urn: each patrol goes to a district with probability
        # proportional to its recorded crime.
        share = records / records.sum(axis=-1, keepdims=True)
        cum = np.cumsum(share, axis=-1)
        cum[..., -1] = 1.0
        where = (u_patrol[None, :, :, None] >= cum[:, :, None, :]).sum(axis=-1)
        patrols = (where[..., None] == np.arange(n_districts)).sum(axis=-2)
        chance = DETECT * n_patrols * share
        return patrols, share, chance
    # PredPol-like: the half of the districts with the most recorded crime share
    # the patrols; ties go to the lower-numbered district.
    n_hot = n_districts // 2
    rank = np.argsort(np.argsort(-records, axis=-1, kind="stable"), axis=-1, kind="stable")
    patrols = np.where(rank < n_hot, n_patrols // n_hot + (rank < n_patrols % n_hot), 0)
    return patrols, patrols / n_patrols, DETECT * patrols


def simulate_patrols(
    city: City,
    *,
    n_patrols: int = 6,
    n_rounds: int = 200,
    allocation: str = "proportional",
    n_runs: int = 100,
    random_state: int = 0,
    variants: tuple[str, ...] = VARIANTS,
) -> Loop:
    """Run the feedback loop ``n_runs`` times for each variant of the model's data.

    Each round the model allocates ``n_patrols`` patrols from its recorded
    crime; residents report a share of every district's incidents; each patrol
    finds ``DETECT`` of its district's unreported incidents; what was recorded
    feeds the next round. The variants differ only in what the model records:

    - ``uncorrected``: reported plus discovered incidents;
    - ``reported_only``: reported incidents only;
    - ``corrected``: reported incidents plus discovered ones weighted by the
      inverse of the chance, known when patrols were sent, that such an
      incident would be found (Ensign et al.'s correction; the history is
      weighted the same way).

    Run ``k`` draws its randomness from the ``k``-th seed spawned from
    ``random_state`` (so it does not depend on ``n_runs``), and all variants
    share that randomness.

    Examples
    --------
    >>> df = make_predictive_policing_data(2000, random_state=0, n_runs=10)
    >>> loop = simulate_patrols(city_from_frame(df), n_runs=10, n_rounds=50)
    >>> loop.share.shape  # variants, runs, kept rounds, districts
    (3, 10, 50, 6)
    """
    if allocation not in ALLOCATIONS:
        raise CaseError(f"allocation must be one of {', '.join(ALLOCATIONS)}, got {allocation!r}")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise CaseError(f"unknown variants {unknown}; the variants are {', '.join(VARIANTS)}")
    if not 1 <= n_patrols <= round(1 / DETECT):  # a patrol plan never finds more than all
        raise CaseError(f"n_patrols must be 1 to {int(round(1 / DETECT))}, got {n_patrols}")
    n_d, n_v = len(city.district), len(variants)
    runs = _seeds(random_state)[2].spawn(n_runs)
    reported, u_patrol, u_found = [], [], []
    for seq in runs:
        rng = np.random.default_rng(seq)
        reported.append(rng.poisson(city.crime_rate * city.report_rate, size=(n_rounds, n_d)))
        u_patrol.append(rng.random((n_rounds, n_patrols)))
        u_found.append(rng.random((n_rounds, n_d)))
    reported, u_patrol, u_found = (np.stack(a, axis=1) for a in (reported, u_patrol, u_found))

    start = {
        "uncorrected": city.history_reported + city.history_discovered,
        "reported_only": city.history_reported.astype(float),
        "corrected": city.history_reported + city.history_discovered / city.history_detection,
    }
    records = np.stack([np.broadcast_to(PRIOR + start[v], (n_runs, n_d)) for v in variants])
    records = records.astype(float)
    unreported_rate = city.crime_rate * (1 - city.report_rate)
    keep = _checkpoints(n_rounds)
    shares = np.empty((n_v, n_runs, len(keep), n_d))
    window = np.zeros((n_v, n_runs, n_d))
    audit_rounds = min(AUDIT_ROUNDS, n_rounds)
    k = 0
    for t in range(n_rounds):
        patrols, share, chance = _allocate(records, u_patrol[t], n_patrols, allocation)
        if k < len(keep) and keep[k] == t + 1:
            shares[:, :, k] = share
            k += 1
        if t >= n_rounds - audit_rounds:
            window += patrols
        found = _poisson_quantile(u_found[t], unreported_rate * DETECT * patrols)
        for i, v in enumerate(variants):
            if v == "uncorrected":
                records[i] += reported[t] + found[i]
            elif v == "reported_only":
                records[i] += reported[t]
            else:
                # Where the chance is 0 nothing can be found, so nothing is weighted.
                weight = np.divide(1.0, chance[i], out=np.zeros_like(chance[i]),
                                   where=chance[i] > 0)
                records[i] += reported[t] + found[i] * weight
    return Loop(tuple(variants), keep, shares, window / audit_rounds, audit_rounds)


def _stop_hazard(patrols: np.ndarray, offended: np.ndarray, district: np.ndarray,
                 audit_rounds: int) -> np.ndarray:
    """Each resident's hazard of a stop: patrol presence in their district, with
    offenders ``OFFENDER_LIFT`` times as likely to be stopped as their neighbours."""
    weight = 1 + (OFFENDER_LIFT - 1) * offended
    mean_weight = np.bincount(district, weights=weight) / np.bincount(district)
    return STOP_PER_PATROL * audit_rounds * patrols[district] * weight / mean_weight[district]


def make_predictive_policing_data(
    n_samples: int = 20_000,
    random_state: int = 0,
    *,
    rate_inequality: float = 0.0,
    report_rate: float = 0.02,
    reporting_gap: float = 0.0,
    history_bias: float = 2.0,
    n_patrols: int = 6,
    n_rounds: int = 200,
    allocation: str = "proportional",
    n_runs: int = 100,
) -> pd.DataFrame:
    """Generate a city of six districts after ``n_rounds`` of predictive policing.

    Two districts are mostly minority (75% of residents), four mostly majority
    (10%). Residents of the mostly-minority districts offend at
    ``1 + rate_inequality`` times the others' rate, whatever their own group.
    Before the loop, the department recorded ``HISTORY_ROUNDS`` rounds of crime
    with ``1 + history_bias`` times as many patrols per district in the
    mostly-minority districts. Then the uncorrected loop of
    :func:`simulate_patrols` runs ``n_runs`` times; a resident's chance of a
    stop in the last rounds follows the patrols in their district, averaged
    over the runs, and ``stopped`` is drawn from it.

    Parameters
    ----------
    n_samples : int
        Number of residents.
    random_state : int
        Seed; the world, the stops and every run get a stream spawned from it.
    rate_inequality : float
        Relative difference of true offending in the mostly-minority districts
        (0: equal rates everywhere; 0.25: 25% higher; -0.25: 25% lower).
    report_rate : float
        Share of incidents that majority residents report to the police.
    reporting_gap : float
        Relative shortfall of minority residents' reporting (0: same as the
        majority; 0.5: half as often).
    history_bias : float
        Extra patrols per district the mostly-minority districts had before the
        loop (0: none; 2: three times as many).
    n_patrols : int
        Patrols per round (1 to 10).
    n_rounds : int
        Rounds of the loop.
    allocation : {"proportional", "hotspots"}
        The model's rule: patrols drawn in proportion to recorded crime, or
        shared by the half of the districts with the most recorded crime.
    n_runs : int
        Runs of the loop averaged for the stops.

    Returns
    -------
    pandas.DataFrame
        One row per resident: ``district``, ``district_group``, ``group``, the
        true ``offended`` (label), the district's true ``district_crime_rate``
        and ``district_report_rate``, the recorded history (``history_reported``,
        ``history_discovered``, ``history_detection``), the mean ``patrols``
        per round in the audited rounds, ``stop_chance`` and ``stopped``.

    Examples
    --------
    >>> df = make_predictive_policing_data(2000, random_state=0, n_runs=10)
    >>> df.shape
    (2000, 12)
    >>> sorted(df["district_group"].unique())
    ['mostly majority', 'mostly minority']
    """
    if allocation not in ALLOCATIONS:
        raise CaseError(f"allocation must be one of {', '.join(ALLOCATIONS)}, got {allocation!r}")
    world_seq, stop_seq, _ = _seeds(random_state)
    rng = np.random.default_rng(world_seq)
    n_d = len(DISTRICTS)
    minority = np.array(MINORITY_SHARE)
    is_minority_district = np.array([g == MOSTLY_MINORITY for g in DISTRICT_GROUPS])
    multiplier = np.where(is_minority_district, 1 + rate_inequality, 1.0)
    crime_rate = BASE_INCIDENTS * multiplier
    district_report = report_rate * (1 - reporting_gap * minority)

    # The past: patrols drawn with fixed, biased shares; each district's chance
    # of having an unreported incident found is known to the department.
    past_share = np.where(is_minority_district, 1 + history_bias, 1.0)
    past_share = past_share / past_share.sum()
    history_detection = DETECT * n_patrols * past_share
    history_reported = rng.poisson(HISTORY_ROUNDS * crime_rate * district_report)
    history_discovered = rng.poisson(
        HISTORY_ROUNDS * crime_rate * (1 - district_report) * history_detection)

    district = rng.integers(0, n_d, size=n_samples)
    group = np.where(rng.random(n_samples) < minority[district], "minority", "majority")
    offended = (rng.random(n_samples) < BASE_OFFENDING * multiplier[district]).astype(int)

    city = City(DISTRICTS, DISTRICT_GROUPS, crime_rate, district_report,
                history_reported, history_discovered, history_detection)
    loop = simulate_patrols(city, n_patrols=n_patrols, n_rounds=n_rounds, allocation=allocation,
                            n_runs=n_runs, random_state=random_state, variants=("uncorrected",))
    patrols = loop.patrols[0].mean(axis=0)
    stop_chance = 1 - np.exp(-_stop_hazard(patrols, offended, district, loop.audit_rounds))
    u_stop = np.random.default_rng(stop_seq).random(n_samples)
    return pd.DataFrame({
        "district": np.array(DISTRICTS)[district],
        "district_group": np.array(DISTRICT_GROUPS)[district],
        "group": group,
        "offended": offended,
        "district_crime_rate": crime_rate[district],
        "district_report_rate": district_report[district],
        "history_reported": history_reported[district],
        "history_discovered": history_discovered[district],
        "history_detection": history_detection[district],
        "patrols": patrols[district],
        "stop_chance": stop_chance,
        "stopped": (u_stop < stop_chance).astype(int),
    })


_DISTRICT_COLUMNS = ("district_group", "district_crime_rate", "district_report_rate",
                     "history_reported",
                     "history_discovered", "history_detection")


def district_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per district: its group, true rates and recorded history."""
    return (frame.groupby("district", sort=True)[list(_DISTRICT_COLUMNS)].first()
            .reset_index())


def city_from_frame(frame: pd.DataFrame) -> City:
    """The :class:`City` that a frame of :func:`make_predictive_policing_data` describes."""
    t = district_table(frame)
    return City(tuple(t["district"]), tuple(t["district_group"]),
                t["district_crime_rate"].to_numpy(float),
                t["district_report_rate"].to_numpy(float),
                t["history_reported"].to_numpy(float), t["history_discovered"].to_numpy(float),
                t["history_detection"].to_numpy(float))


# --- hooks of the case -----------------------------------------------------------------


def _split(data: pd.DataFrame, spec: Spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    # Nothing is fitted on residents: the model's only training data is the
    # recorded history, one row per district; every resident is audited.
    return district_table(data), data


def _policy(spec: Spec) -> dict:
    k = spec.knobs
    return {"n_patrols": k["n_patrols"], "n_rounds": k["n_rounds"],
            "allocation": k["allocation"], "n_runs": k["n_runs"]}


def _stops(test: pd.DataFrame, patrols: np.ndarray, audit_rounds: int, seed: int) -> np.ndarray:
    """Stops drawn with the same uniforms as in the data, for another allocation."""
    codes = pd.Categorical(test["district"], categories=DISTRICTS).codes.astype(int)
    chance = 1 - np.exp(-_stop_hazard(patrols, test["offended"].to_numpy(), codes,
                                      audit_rounds))
    u = np.random.default_rng(_seeds(seed)[1]).random(len(test))
    return (u < chance).astype(int)


def _decide(train: pd.DataFrame, test: pd.DataFrame, spec: Spec) -> dict:
    city = city_from_frame(test)
    loop = simulate_patrols(city, random_state=spec.seed, **_policy(spec))
    frames = {}
    for i, v in enumerate(loop.variants):
        frame = test.copy()
        frame["prediction"] = _stops(test, loop.patrols[i].mean(axis=0), loop.audit_rounds,
                                     spec.seed)
        frames[v] = frame
    out = frames["uncorrected"]
    # The data's stops are the uncorrected loop's; a mismatch would mean the
    # data and the simulation disagree about the world.
    if not np.array_equal(out["prediction"].to_numpy(), test["stopped"].to_numpy()):
        raise RuntimeError("the stops re-simulated from the data differ from its 'stopped'")
    return {"test": out, "city": city, "loop": loop, "frames": frames}


def _band(values: np.ndarray) -> dict:
    """Median and 95% band across runs, in the engine's estimate shape.

    Runs where the quantity is undefined (a ratio over a district kind that got
    no patrols) are left out, and their share is reported, as in the engine.
    """
    values = np.asarray(values, dtype=float)
    ok = values[np.isfinite(values)]
    if len(ok) == 0:
        return {"value": None, "ci_low": None, "ci_high": None,
                "reason": "undefined in every run"}
    lo, med, hi = np.percentile(ok, [2.5, 50, 97.5])
    out = {"value": float(med), "ci_low": float(lo), "ci_high": float(hi)}
    if len(ok) < len(values):
        out["ci_undefined_share"] = 1 - len(ok) / len(values)
    return out


def _series(values: np.ndarray) -> dict:
    """Median and band across runs (axis 0) of a series, rounded for the record."""
    lo, med, hi = np.percentile(values, [2.5, 50, 97.5], axis=0)
    return {"median": np.round(med, 6).tolist(), "low": np.round(lo, 6).tolist(),
            "high": np.round(hi, 6).tolist()}


def _tv(share: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Total variation distance: the share of patrols that would have to move."""
    return 0.5 * np.abs(share - true).sum(axis=-1)


def _group_weights(test: pd.DataFrame, city: City) -> dict[str, np.ndarray]:
    """Share of each district's residents in each group: a district's patrols and
    crime are attributed to its residents in proportion."""
    counts = pd.crosstab(test["group"], test["district"]).reindex(columns=list(city.district),
                                                                  fill_value=0)
    per = counts / counts.sum(axis=0)
    return {g: per.loc[g].to_numpy(float) for g in ("minority", "majority")}


def _stop_rates_across_runs(test: pd.DataFrame, loop: Loop, i: int) -> dict:
    """Expected stop rates and hit rates of the two kinds of district, run by run.

    A resident's chance depends only on their district and whether they
    offended, so the rates are computed on those cells for all runs at once.
    """
    codes = pd.Categorical(test["district"], categories=DISTRICTS).codes.astype(int)
    offended = test["offended"].to_numpy().astype(int)
    cells = np.bincount(codes * 2 + offended, minlength=2 * len(DISTRICTS)).reshape(-1, 2)
    weight = np.array([1.0, OFFENDER_LIFT])
    mean_weight = cells @ weight / cells.sum(axis=1)
    hazard = (STOP_PER_PATROL * loop.audit_rounds * loop.patrols[i][:, :, None]
              * weight / mean_weight[:, None])
    chance = 1 - np.exp(-hazard)  # runs, districts, (did not offend, offended)
    is_min = np.array([g == MOSTLY_MINORITY for g in DISTRICT_GROUPS])

    def rate(mask: np.ndarray, kinds: slice) -> np.ndarray:
        c = cells[mask, kinds]
        return (chance[:, mask, kinds] * c).sum(axis=(1, 2)) / c.sum()

    def hit_rate(mask: np.ndarray) -> np.ndarray:
        stops = chance[:, mask] * cells[mask]
        total = stops.sum(axis=(1, 2))
        return np.divide(stops[:, :, 1].sum(axis=1), total, out=np.full_like(total, np.nan),
                         where=total > 0)

    pairs = {key: (rate(is_min, kinds), rate(~is_min, kinds))
             for key, kinds in (("stop_rate", slice(0, 2)), ("innocent_stop_rate", slice(0, 1)))}
    pairs["hit_rate"] = (hit_rate(is_min), hit_rate(~is_min))
    out = {}
    for key, (a, b) in pairs.items():
        out[key] = {MOSTLY_MINORITY: _band(a), MOSTLY_MAJORITY: _band(b),
                    "difference": _band(a - b),
                    "ratio": _band(np.divide(a, b, out=np.full_like(a, np.nan), where=b > 0))}
    return out


def _summary(run) -> dict:
    """The numbers a sweep point needs: final gaps and stop-rate differences per variant."""
    city, loop = run.extra["city"], run.extra["loop"]
    true, is_min = city.true_share, city.minority_districts
    out = {"crime_share_mostly_minority": float(true[is_min].sum()), "variants": {}}
    for i, v in enumerate(loop.variants):
        final = loop.share[i, :, -1]
        out["variants"][v] = {
            "patrol_share_mostly_minority": _band(final[:, is_min].sum(axis=1)),
            "tv_distance": _band(_tv(final, true)),
            "stop_rate_difference": _stop_rates_across_runs(run.test, loop, i)["stop_rate"][
                "difference"],
        }
    return out


def _analyses(run) -> dict:
    from ._runner import audit_frame, headline

    city, loop = run.extra["city"], run.extra["loop"]
    true, is_min = city.true_share, city.minority_districts
    weights = _group_weights(run.test, city)
    rounds = loop.rounds.tolist()
    districts = []
    for d, name in enumerate(city.district):
        districts.append({
            "district": name, "district_group": city.district_group[d],
            "residents": int((run.test["district"] == name).sum()),
            "minority_share": float(weights["minority"][d]),
            "crime_rate": float(city.crime_rate[d]), "true_share": float(true[d]),
            "report_rate": float(city.report_rate[d]),
            "history_reported": int(city.history_reported[d]),
            "history_discovered": int(city.history_discovered[d]),
            "history_detection": float(city.history_detection[d]),
        })

    trajectories, final, groups, person_level = {}, {}, {}, {}
    for i, v in enumerate(loop.variants):
        share = loop.share[i]  # runs, rounds, districts
        trajectories[v] = {name: _series(share[:, :, d]) for d, name in enumerate(city.district)}
        last = share[:, -1]
        final[v] = {
            "districts": [{"district": name, "true_share": float(true[d]),
                           "patrol_share": _band(last[:, d]),
                           "gap": _band(last[:, d] - true[d])}
                          for d, name in enumerate(city.district)],
            "tv_distance": _band(_tv(last, true)),
            "tv_distance_over_rounds": _series(_tv(share, true)),
        }
        by_district_group = {}
        for label, mask in ((MOSTLY_MINORITY, is_min), (MOSTLY_MAJORITY, ~is_min)):
            series = share[:, :, mask].sum(axis=-1)
            by_district_group[label] = {
                "crime_share": float(true[mask].sum()),
                "patrol_share_over_rounds": _series(series),
                "final_patrol_share": _band(series[:, -1]),
                "final_gap": _band(series[:, -1] - true[mask].sum()),
            }
        by_group = {}
        for g, w in weights.items():
            series = share @ w
            crime = float(true @ w)
            by_group[g] = {
                "crime_share": crime,
                "patrol_share_over_rounds": _series(series),
                "final_patrol_share": _band(series[:, -1]),
                "final_gap": _band(series[:, -1] - crime),
            }
        groups[v] = {"district_group": by_district_group, "group": by_group}
        result = audit_frame(CASE, run.extra["frames"][v], CASE.label, run.spec.seed,
                             cross_check=False)
        person_level[v] = {
            "headline": headline(CASE, result),
            "innocent_stops": headline(CASE, result, Headline(
                "district_group", "fpr", MOSTLY_MINORITY,
                "how much more often residents who did not offend are stopped in "
                "mostly-minority districts")),
            "across_runs": _stop_rates_across_runs(run.test, loop, i),
        }
    return {
        "simulation": {
            "variants": list(loop.variants), "n_runs": int(loop.share.shape[1]),
            "n_rounds": int(run.spec.knobs["n_rounds"]), "rounds": rounds,
            "audit_rounds": loop.audit_rounds, "allocation": run.spec.knobs["allocation"],
            "n_patrols": int(run.spec.knobs["n_patrols"]), "interval": INTERVAL,
            "seeds": "numpy SeedSequence(seed).spawn(3)[2].spawn(n_runs): run k is the same "
                     "whatever n_runs; all variants share each run's random numbers",
            "constants": {"detect_per_patrol": DETECT, "history_rounds": HISTORY_ROUNDS,
                          "base_incidents": BASE_INCIDENTS, "base_offending": BASE_OFFENDING,
                          "stop_per_patrol_round": STOP_PER_PATROL,
                          "offender_lift": OFFENDER_LIFT},
        },
        "districts": districts,
        "trajectories": trajectories,
        "final": final,
        "groups": groups,
        "person_level": person_level,
        "summary": _summary(run),
    }


_VARIANT_LABELS = {"uncorrected": "Uncorrected loop (reported + discovered)",
                   "reported_only": "Reported incidents only",
                   "corrected": "Ensign et al.'s correction"}


def _display(record: dict) -> list[dict]:
    a = record["analyses"]
    rounds = a["simulation"]["rounds"]
    variants = a["simulation"]["variants"]
    minority = a["groups"]["uncorrected"]["district_group"][MOSTLY_MINORITY]
    crime_share = minority["crime_share"]
    blocks: list[dict] = [
        {"kind": "text", "markdown": (
            f"Each of {a['simulation']['n_runs']} simulated runs plays "
            f"{a['simulation']['n_rounds']} rounds of patrol allocation; bands are the "
            "2.5th–97.5th percentiles across runs, lines the medians. The dashed line is the "
            "mostly-minority districts' true share of crime: a fair allocation would follow it.")},
        {"kind": "figure", "id": "allocation-over-time",
         "title": "Patrol share of the mostly-minority districts, round by round",
         "caption": "Share of patrols sent to the two mostly-minority districts in each round, "
                    "under the three ways of recording crime (synthetic simulation; median and "
                    "95% band across runs). Dashed: their true share of crime.",
         "alt": "Line chart of patrol share over rounds. The uncorrected loop stays above the "
                "true crime share with a wide band; reported-only and corrected variants stay "
                "near it.",
         "chart": "line", "xlabel": "Round", "ylabel": "Patrol share",
         "percent_y": True, "xscale": "linear", "reference_line": crime_share,
         "series": [
             {"label": _VARIANT_LABELS[v], "x": rounds,
              "y": a["groups"][v]["district_group"][MOSTLY_MINORITY]
              ["patrol_share_over_rounds"]["median"],
              "low": a["groups"][v]["district_group"][MOSTLY_MINORITY]
              ["patrol_share_over_rounds"]["low"],
              "high": a["groups"][v]["district_group"][MOSTLY_MINORITY]
              ["patrol_share_over_rounds"]["high"]}
             for v in variants]},
    ]
    districts = [d["district"] for d in a["districts"]]
    true_shares = [d["true_share"] for d in a["districts"]]
    series = [{"label": "True share of crime", "x": districts, "y": true_shares,
               "low": None, "high": None}]
    for v in variants:
        final = {d["district"]: d["patrol_share"] for d in a["final"][v]["districts"]}
        series.append({"label": _VARIANT_LABELS[v], "x": districts,
                       "y": [final[d]["value"] for d in districts],
                       "low": [final[d]["ci_low"] for d in districts],
                       "high": [final[d]["ci_high"] for d in districts]})
    blocks.append(
        {"kind": "figure", "id": "final-share",
         "title": "Final patrol share against true share of crime, by district",
         "caption": "Each district's share of patrols after the last round (median and 95% band "
                    "across runs) against its true share of crime (synthetic simulation). "
                    "D1–D2 are the mostly-minority districts.",
         "alt": "Error-bar chart by district: under the uncorrected loop D1 and D2 receive more "
                "than their true share of patrols; the corrected variants sit on the true "
                "shares.",
         "chart": "errorbar", "xlabel": "District", "ylabel": "Share",
         "percent_y": True, "xscale": "linear", "reference_line": None, "series": series})
    rows = []
    for v in variants:
        g = a["groups"][v]["district_group"][MOSTLY_MINORITY]
        across = a["person_level"][v]["across_runs"]["stop_rate"]
        rows.append([_VARIANT_LABELS[v], g["crime_share"], g["final_patrol_share"],
                     a["final"][v]["tv_distance"], across["difference"]])
    blocks.append(
        {"kind": "table", "title": "The three variants compared",
         "columns": ["Variant", "True crime share (mostly minority)",
                     "Final patrol share (mostly minority)",
                     "Share of patrols misplaced (total variation)",
                     "Stop-rate difference across runs"],
         "rows": rows, "percent": [False, True, True, True, False],
         "caption": "Medians and 95% bands across runs (synthetic simulation). The stop-rate "
                    "difference here varies with the loop's randomness; the audit above "
                    "shows the bootstrap interval within one city."})
    return blocks


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
        Column("district", "context",
               "One of six districts D1–D6; each resident is placed in one uniformly at random."),
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
               "(Poisson; each patrol finds 10% of its district's unreported incidents).",
               "Past patrols were (1 + history_bias) times as dense in the mostly-minority "
               "districts, so more was found there."),
        Column("history_detection", "context",
               "The chance, known from the past patrol plan, that an unreported incident was "
               "found in the history: 0.1 × n_patrols × the district's past patrol share. "
               "Only the corrected model uses it."),
        Column("patrols", "context",
               "Mean patrols per round in the district over the last 20 rounds of the "
               "uncorrected loop, averaged over the n_runs runs."),
        Column("stop_chance", "context",
               "Chance of being stopped at least once in the last 20 rounds: 1 − exp(−0.005 × "
               "patrol-rounds × w / mean w of the district), w = 3 for offenders, 1 otherwise."),
        Column("stopped", "context",
               "Stopped at least once in the last 20 rounds, drawn from stop_chance: the "
               "decision audited (the 'prediction').",
               "Follows patrols, which follow the loop's records, not true crime."),
    ),
    features=("history_reported", "history_discovered"),
    label="offended",
    sensitive=("district_group", "group"),
    reference={"district_group": MOSTLY_MAJORITY, "group": "majority"},
    intersectional=True,
    headline=Headline("district_group", "selection_rate", MOSTLY_MINORITY,
                      "how much more often residents of the mostly-minority districts are "
                      "stopped than residents of the mostly-majority districts"),
    display=_display,
    metrics_that_matter={
        "selection_rate": "The stop rate: how often residents are stopped at all, whatever "
                          "they did.",
        "fpr": "Residents who did not offend but were stopped: the cost of over-patrolling "
               "falls on them.",
        "tpr": "Offenders who were stopped: where patrols are scarce, offences go unseen.",
        "ppv": "The hit rate, share of stops that find an offender: the 'outcome test' often "
               "used to detect biased stops. Here its expected value is the same in every "
               "district even when the stop rates are not, because the bias is in where police "
               "are, not whom they stop.",
        "base_rate": "True offending: equal across districts when rate_inequality = 0.",
    },
    make_model=None,
    model_description=(
        "No classifier is trained. The model is an allocation rule applied each round to "
        "recorded crime: with 'proportional' (the default, Ensign et al.'s urn) each of the "
        "n_patrols patrols goes to a district with probability proportional to its recorded "
        "crime; with 'hotspots' (PredPol-like) the three districts with the most recorded "
        "crime share the patrols. Its training data is the recorded history, one row per "
        "district (the 'train' part); every resident is audited (the 'test' part). The loop "
        "is run n_runs times and three variants of the records are compared: uncorrected "
        "(reported + discovered), reported only, and Ensign et al.'s inverse-probability "
        "correction of discovered incidents."
    ),
    knobs=(
        Knob("rate_inequality", 0.0, "Relative difference of true offending in the mostly-"
             "minority districts (0: equal everywhere; 0.25: 25% higher; −0.25: 25% lower).",
             low=-0.5, high=1.0),
        Knob("report_rate", 0.02, "Share of incidents majority residents report (the loop "
             "matters for offences police mostly find themselves, as with drug offences).",
             low=0.01, high=0.5),
        Knob("reporting_gap", 0.0, "How much less often minority residents report, relative "
             "(0: as often as the majority; 0.5: half as often).", low=0.0, high=0.9),
        Knob("history_bias", 2.0, "Extra patrols per district the mostly-minority districts "
             "had before the loop (0: none; 2: three times as many).", low=0.0, high=4.0),
        Knob("n_patrols", 6, "Patrols per round.", low=1, high=10, integer=True),
        Knob("n_rounds", 200, "Rounds of the loop (e.g. days).", low=20, high=1000,
             integer=True),
        Knob("allocation", "proportional", "The model's rule: patrols drawn in proportion to "
             "recorded crime, or shared by the three districts with the most.",
             choices=ALLOCATIONS),
        Knob("n_runs", 100, "Runs of the loop behind every interval.", low=10, high=500,
             integer=True),
    ),
    sweeps={"rate_inequality": (-0.25, 0.0, 0.25, 0.5)},
    default_n_samples=20_000,
    split=_split,
    decide=_decide,
    analyses=_analyses,
    sweep_extras=_summary,
    mitigations=(),
)
