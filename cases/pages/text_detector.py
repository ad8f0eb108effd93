"""The text detector page's blocks: false accusations, the threshold's loss, evasion."""

from __future__ import annotations

from fairness import AuditResult, format_prose, format_rate_in

from ..blocks import Col, Figure, Series, Table, Text

EN, NE = "native speakers", "non-native speakers"
SWEPT = {"machine_caught": "machine-written essays caught",
         "fpr_non_native": f"human essays flagged, {NE}",
         "fpr_native": f"human essays flagged, {EN}"}


def blocks(record: dict) -> list:
    a, audit, perf = record["analyses"], AuditResult(record["audit"]), record["performance"]
    knobs, by = record["manifest"]["knobs"], a["by_group"]
    g = {x["group"]: x for x in audit.groups_of("speaker")}
    (vendor, _, cost), sweeps, h = a["thresholds"], record.get("sweeps", {}), record["headline"]
    rate = format_rate_in(knobs["machine_share"])

    def p(est, kind="percent"):
        return format_prose(est, kind)

    out = [
        Text(f"In a classroom where {rate} essays is machine-written (our assumption; the "
             f"real share is unknown), the detector catches {p(perf['tpr'])} of them. It "
             f"also flags {p(h['group_value'])} of the essays that non-native speakers of "
             f"English wrote themselves, against {p(h['reference_value'])} of native "
             f"speakers' own essays: {p(h['ratio'], 'number')} times as often. Of the "
             "essays it flags from non-native speakers, only "
             f"{p(g[NE]['metrics']['ppv'])} were machine-written; the rest are false "
             f"accusations. The vendor's corpus held {a['corpus']['human_non_native']} "
             f"second-language essays among its {a['corpus']['n'] // 2:,} human ones; the "
             f"detector is right about {p(a['corpus']['accuracy'])} of the corpus and "
             f"{p(perf['accuracy'])} of the classroom. All numbers come from a synthetic world."),
        Table("False accusations, native and non-native speakers of English",
              [Col("Students"), Col("Essays", "count"), Col("Human essays", "count"),
               Col("Human essays flagged (false-positive rate)", "percent"),
               Col("Machine essays caught", "percent"),
               Col("Flagged essays that are machine-written", "percent"),
               Col(f"False accusations per {1000:,} essays", "count"),
               Col("Impact ratio (not-flagged rate)", "ratio"), Col("Under four-fifths")],
              [[k, x["n"], by[k]["human_essays"], x["metrics"]["fpr"], x["metrics"]["tpr"],
                x["metrics"]["ppv"], by[k]["false_positives"], x["impact_ratio"],
                "yes" if "four_fifths" in x["flags"] else "no"] for k, x in g.items()],
              "Classroom essays of the synthetic world. A flag is the burden, so the impact "
              "ratio is taken on not being flagged, over the highest group's rate. False "
              "accusations per 1,000 essays of the group: intervals from a Bayesian bootstrap "
              "of the counts; rates: Wilson intervals."),
        Text(f"**A loss that does not fit the need.** The threshold on this page is "
             f"{vendor['threshold']:g}" + (", the most accurate rule on the vendor's half-machine "
                                           "corpus" if vendor["threshold"] == 0.5 else "")
             + f". Suppose a false accusation costs a student {a['cost_ratio']} times what "
             "a missed machine essay costs the course (our assumption). The threshold that "
             f"minimises that cost on the same corpus, reweighted to {rate} machine essays, is "
             f"{cost['threshold']:g}: false accusations fall from "
             f"{p(vendor['false_accusations_per_1000'], 'count')} to "
             f"{p(cost['false_accusations_per_1000'], 'count')} per 1,000 essays, and missed "
             f"machine essays rise from {p(vendor['missed_per_1000'], 'count')} to "
             f"{p(cost['missed_per_1000'], 'count')}. Non-native speakers are still flagged "
             f"more often: {p(cost['fpr'][NE])} of their own essays, against "
             f"{p(cost['fpr'][EN])} of native speakers'. In "
             "the classroom itself the cost would be lowest at "
             f"{a['cost_curve']['classroom_best']:g}: a corpus with few second-language "
             "essays underestimates how many students a threshold accuses."),
        Table("Three thresholds for the same detector",
              [Col("Chosen for"), Col("Threshold", "number"), Col("Accuracy", "percent"),
               Col("Machine essays caught", "percent"),
               Col("Human essays flagged, native", "percent"),
               Col("Human essays flagged, non-native", "percent"),
               Col("False accusations per 1,000 essays", "count"),
               Col("Missed machine essays per 1,000", "count"),
               Col(f"Cost per 1,000 (false accusation = {a['cost_ratio']})", "number")],
              [[t["chosen_by"], t["threshold"], t["accuracy"], t["machine_caught"],
                t["fpr"][EN], t["fpr"][NE], t["false_accusations_per_1000"],
                t["missed_per_1000"], t["cost_per_1000"]] for t in a["thresholds"]],
              "The last two are chosen on the vendor corpus, its only labelled essays, reweighted "
              f"to {rate} machine essays, and judged on the synthetic classroom. Cost: false "
              f"accusations times {a['cost_ratio']} plus missed essays."),
    ]
    curve = a["cost_curve"]
    keep = [i for i, t in enumerate(curve["threshold"]) if t >= 0.9]
    out.append(Figure(
        "cost-by-threshold", "Cost per 1,000 essays, at high thresholds",
        f"A false accusation weighs {a['cost_ratio']} missed machine essays (our assumption). "
        "The corpus curve is what the vendor can compute; it is lowest at "
        f"{cost['threshold']:g}. The classroom curve is what students pay; it is lowest at "
        f"{curve['classroom_best']:g}. Synthetic essays; no intervals.",
        "The classroom's cost curve lies above the corpus's and reaches its lowest point at "
        "a higher threshold.",
        [Series(name, [curve["threshold"][i] for i in keep],
                [curve[k]["cost"][i] for i in keep])
         for name, k in (("expected on the vendor corpus", "corpus"),
                         ("in the classroom", "classroom"))],
        xlabel="Threshold", ylabel="Cost per 1,000 essays"))
    if "enriched_share" in sweeps:
        out.append(Figure(
            "evasion", "Evasion: machine essays with enriched wording",
            "Share of the machine-written essays passed through a second prompt that "
            "elevates their wording; the human essays and the detector are unchanged. "
            "Synthetic essays; bands: 95% intervals.", "As more machine essays are enriched, "
            "fewer are caught, until fewer machine essays than non-native speakers' own "
            "essays are flagged.",
            [Series.over_sweep(sweeps["enriched_share"], label, lambda pt, k=k: pt["tracked"][k])
             for k, label in SWEPT.items()],
            xlabel="Share of machine essays enriched",
            ylabel="Share flagged", y_kind="percent"))
    ppv = a["ppv_by_machine_share"]
    out.append(Figure(
        "ppv-machine-share", "Flagged essays that are machine-written, by share of machine text",
        "Expected from each group's measured error rates (Bayes' rule); bands from their "
        "intervals. Synthetic essays.", "The share of flags that are right falls as machine "
        "text gets rarer, and is lower for non-native speakers at every share.",
        [Series(k, c["prevalence"], c["ppv"], c["low"], c["high"])
         for k, c in ppv.items()], xlabel="Share of essays machine-written",
        ylabel="Flags that are right", y_kind="percent", xscale="log", reference_line=0.5))
    return out
