"""The deepfake page: what the benchmark taught, who bears the errors, rebalancing or mitigating."""

from __future__ import annotations

from fairness import AuditResult, format_number, format_prose, format_share

from ..blocks import Col, Figure, Series, Table, Text

JOINT, KNOB, MATCHED = "skin_tone × sex", "real_darker_share", 0.3  # 0.3: as the fakes' faces
SYNTHETIC = "Synthetic data."
X_SHARE = "Share of darker-skinned people among the benchmark's real clips"


def blocks(record: dict) -> list:
    a, audit = record["analyses"], AuditResult(record["audit"])
    groups = audit.groups_of(JOINT)
    by = {g["group"]: g for g in groups}
    worst, best = (f(groups, key=lambda g: g["metrics"]["fpr"]["value"]) for f in (max, min))
    h, bench, fakes = record["headline"], a["benchmark"], a["fake_share_in_benchmark"]
    real_darker = sum(v["real"] for g, v in bench.items() if g.startswith("darker"))
    variant = {v["name"]: v for v in record["variants"]}["without face luminance"]
    w = {k: format_number(round(v, 2)) for k, v in a["weights"].items()}
    out = [
        Text(f"The benchmark's {sum(v['real'] for v in bench.values()):,} real clips include "
             f"{real_darker} of darker-skinned people "
             f"({format_share(record['manifest']['knobs'][KNOB], 0)}), while the faces swapped "
             "into its fakes are more varied. In the benchmark, then, "
             f"{_p(fakes['darker'])} of darker-skinned clips are fakes and "
             f"{_p(fakes['lighter'])} of lighter-skinned ones. The detector learns that "
             "lesson. On the platform, where "
             f"fakes are equally common in every group, it flags {_p(h['group_value'])} of "
             f"darker-skinned people's real clips as fakes and {_p(h['reference_value'])} of "
             f"lighter-skinned people's. Crossed with sex the gap widens: "
             f"{_p(worst['metrics']['fpr'])} for {_who(worst['group'])}, "
             f"{_p(best['metrics']['fpr'])} for {_who(best['group'])}. The same lesson lets "
             f"fewer fakes pass: {_p(by['darker × female']['metrics']['fnr'])} of darker-"
             f"skinned women's, against {_p(by['lighter × male']['metrics']['fnr'])} of "
             "lighter-skinned men's. It has learned skin tone, not swaps. All numbers come from "
             "a synthetic world."),
        Table("What the detector learned from: the benchmark, by skin tone × sex",
              [Col("Group"), Col("Real clips", "count"), Col("Fakes", "count"),
               Col("Share of its clips that are fakes", "percent"),
               Col("Share of the platform's clips", "percent")],
              [[g, v["real"], v["fake"], v["fake_share"], by[g]["share"]]
               for g, v in bench.items()],
              f"The {record['manifest']['n_train']:,} benchmark clips the detector is trained "
              "on, and the mix it meets on the platform. Intervals: 95%."),
        Table("On the platform, by skin tone × sex: who bears which error",
              [Col("Group"), Col("Real clips flagged (FPR)", "percent"), Col(
                  "Fakes missed (FNR)", "percent"), Col("Flagged clips that are fakes (PPV)",
                                                        "percent"),
               Col("Impact ratio (not-flagged rate)", "ratio"), Col("Under four-fifths")],
              [[g["group"], g["metrics"]["fpr"], g["metrics"]["fnr"], g["metrics"]["ppv"],
                g["impact_ratio"], "yes" if "four_fifths" in g["flags"] else "no"]
               for g in groups],
              "Being flagged is the burden here, so the impact ratio is each group's "
              "not-flagged rate over the highest one "
              f"({audit.summary['by_attribute'][JOINT]['impact_ratio_denominator']['group']}'s);"
              " under 0.8 a group fails the four-fifths rule. 95% intervals of the audit "
              "engine."),
        Figure("errors-by-group", "Real clips flagged and fakes missed, by skin tone × sex",
               "Each group's false-positive rate (a real clip flagged as fake) and false-"
               "negative rate (a fake passed as real) on the platform. Bars: 95% intervals. "
               + SYNTHETIC, "Dot plot: darker-skinned women's real clips are flagged most, "
               "lighter-skinned men's least; fakes are missed in the opposite order.",
               [Series.of(label, list(by), [g["metrics"][m] for g in groups]) for label, m in
                (("real clips flagged (FPR)", "fpr"), ("fakes missed (FNR)", "fnr"))],
               xlabel="Skin tone × sex", ylabel="Error rate", chart="errorbar", y_kind="percent"),
        Text("**Unawareness does not help.** Without face luminance, the one input that "
             "reveals skin tone, the gap in real clips flagged is "
             f"{_p(variant['headline']['label']['difference'], 'points')}; with it, "
             f"{_p(h['difference'], 'points')}. The detector hardly weighs luminance (weight "
             f"{w['face_luminance']} per standard deviation): it learned the lesson through the "
             f"noise and compression scores ({w['noise_inconsistency']} and "
             f"{w['compression_blockiness']}), which low light raises in every dim clip."),
    ]
    pts = record.get("sweeps", {}).get(KNOB)
    return out + (_rebalancing(record, pts, real_darker) if pts else [])


def _rebalancing(record: dict, pts: list[dict], real_darker: int) -> list:
    here, matched = (next(q for q in pts if q["value"] == v)
                     for v in (record["manifest"]["knobs"][KNOB], MATCHED))

    def err(q: dict) -> dict:
        return q["tracked"]["errors"]

    def line(metric: str) -> list[Series]:
        return [Series.over_sweep(pts, g, lambda q, g=g: err(q)["by_group"][g][metric])
                for g in err(pts[0])["by_group"]]

    out = [
        Text("**Rebalancing the benchmark.** Give the benchmark's real clips the mix of the "
             f"faces in its fakes ({format_share(MATCHED, 0)} darker-skinned) and the lesson "
             "disappears: the gap in real clips flagged falls to "
             f"{_p(matched['headline']['difference'], 'points')} and the balanced accuracy on "
             f"the platform rises from {_p(err(here)['balanced_accuracy'])} to "
             f"{_p(err(matched)['balanced_accuracy'])}. Past that point the lesson reverses: a "
             "dim clip then looks real, so darker-skinned people's real clips are flagged less "
             "than lighter-skinned people's and their fakes are missed more. What rebalancing "
             "cannot remove is what the scores themselves carry: make-up still reads as a "
             "swap's smoothing, so women's real clips stay flagged more often than men's of the "
             "same skin tone."),
        Figure("rebalancing-flagged", "Real clips flagged, as the benchmark is rebalanced",
               "The detector retrained on benchmarks of the same size with more darker-skinned "
               f"real clips, judged on the same platform clips; at {format_share(MATCHED, 0)} "
               "they match the fakes' faces. Bands: 95% intervals. " + SYNTHETIC,
               "Line chart: darker-skinned groups' false-flag rates fall steeply as the "
               "benchmark is rebalanced and cross the lighter-skinned groups' near 40%.",
               line("fpr"), xlabel=X_SHARE, ylabel="Real clips flagged (FPR)",
               y_kind="percent"),
        Figure("rebalancing-missed", "Fakes missed, as the benchmark is rebalanced",
               "As the previous figure, for the fakes the detector lets pass. " + SYNTHETIC,
               "Line chart: fakes of darker-skinned people are missed more often as the "
               "benchmark is rebalanced, those of lighter-skinned people about as often.",
               line("fnr"), xlabel=X_SHARE, ylabel="Fakes missed (FNR)", y_kind="percent"),
    ]
    ran = [e for e in record.get("mitigations", {}).get("entries", []) if e["error"] is None]
    if not ran:
        return out
    best, blind = (min((e for e in ran if keep(e)), key=lambda e: abs(e["headline"][
        "difference"]["value"])) for keep in (lambda e: e["stage"] != "post",
                                               lambda e: not e["needs_sensitive_at_prediction"]))
    post = sorted(e["headline"]["difference"]["value"] for e in ran if e["stage"] == "post")
    rows = [[f"Benchmark with {format_share(q['value'], 0)} darker-skinned real clips"
             + (" (this page)" if q is here else ""), "data", q["headline"]["difference"],
             err(q)["balanced_accuracy"], err(q)["equalized_odds_difference"], q["accuracy"],
             "no"] for q in pts]
    rows += [[e["name"], e["stage"] + "-processing", e["headline"]["difference"],
              e["balanced_accuracy"], e["equalized_odds_difference"], e["accuracy"],
              "yes" if e["needs_sensitive_at_prediction"] else "no"] for e in ran]
    return out + [
        Text("**Mitigating instead.** The mitigations keep the biased benchmark and change the "
             f"learning or the decisions, for skin tone. The nearest to equal, {best['name']}, "
             f"leaves a gap of {_p(best['headline']['difference'], 'points')} at a balanced "
             f"accuracy of {_p(best['balanced_accuracy'])}"
             + (f", but it needs each clip's skin tone when deciding; of those that do not, "
                f"{blind['name']} leaves {_p(blind['headline']['difference'], 'points')} at "
                f"{_p(blind['balanced_accuracy'])}" if blind is not best else "")
             + f". The {len(post)} that only change the decisions are fitted per skin tone on "
             f"a validation split of the benchmark, with a share of its {real_darker} "
             "darker-skinned real clips; on the platform they leave gaps from "
             f"{format_number(round(100 * post[0], 1))} to "
             f"{format_number(round(100 * post[-1], 1))} points. Those that equalise flag "
             "rates overshoot (lighter-skinned people's real clips are then flagged more) and "
             "leave a large equalized-odds difference: the gap has moved to the fakes missed."),
        Table("Rebalancing the benchmark, or mitigating on the biased one",
              [Col("Detector"), Col("Fix"), Col("Darker minus lighter, real clips flagged",
                                                "points"), Col("Balanced accuracy", "percent"),
               Col("Equalized-odds difference (skin tone)", "points"),
               Col("Accuracy", "percent"), Col("Needs skin tone when deciding")],
              rows, "Every row is judged on the same platform clips. The rebalanced rows "
              "change the data the detector learns from; the mitigations keep this page's "
              f"benchmark ({format_share(here['value'], 0)}). Accuracy on a platform where 90% "
              "of clips are real mostly counts real clips left alone: balanced accuracy weighs "
              "both errors equally. 95% intervals."),
        Figure("rebalancing-against-mitigations", "Gap against balanced accuracy: "
               "rebalanced benchmarks and mitigations",
               "Each point is a detector judged on the platform: the darker-minus-lighter gap "
               "in real clips flagged (0 is equal) against balanced accuracy, with 95% "
               "intervals on the latter. " + SYNTHETIC,
               "Scatter plot: the rebalanced benchmarks reach a small gap at the best balanced "
               "accuracy; a few mitigations on the biased benchmark come close, most sit lower "
               "or further from zero.",
               [Series.of(label, [100 * q["headline"]["difference"]["value"] for q in xs],
                          [q["balanced_accuracy"] if "balanced_accuracy" in q else
                           err(q)["balanced_accuracy"] for q in xs]) for label, xs in
                (("rebalanced benchmark", pts),
                 (f"mitigations ({format_share(here['value'], 0)} benchmark)", ran))],
               xlabel="Darker minus lighter, real clips flagged (percentage points)",
               ylabel="Balanced accuracy", chart="errorbar", y_kind="percent")]


def _p(est: dict, kind: str = "percent") -> str:
    return format_prose(est, kind)


def _who(group: str) -> str:
    tone, sex = group.split(" × ")
    return f"{tone}-skinned {'women' if sex == 'female' else 'men'}"
