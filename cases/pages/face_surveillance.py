"""The face-surveillance page's own blocks: error rates by group, the arithmetic of scale, and
what a threshold per group buys and costs."""

from __future__ import annotations

from fairness import format_number, format_prose

from ..blocks import Col, Figure, Series, Table, Text

MAJORITY, WORST = "lighter × male", "darker × female"
ORDER = (MAJORITY, "lighter × female", "darker × male", WORST)  # by false-match rate
PER_SCAN = "Chance a scan of someone not on the list alerts"
SYNTHETIC = "Synthetic world: our matcher, not a real one."


def _who(group: str) -> str:
    return group.replace(" × female", "-skinned women").replace(" × male", "-skinned men")


def blocks(record: dict) -> list:
    a, k = record["analyses"], record["manifest"]["knobs"]
    one, per = a["one_threshold"], a["per_group"]
    g1, gp = one["groups"], per["groups"]
    groups = [g for g in ORDER if g in g1]
    gallery, scans = format_number(k["gallery_size"]), format_number(k["scans_per_day"])
    listed, p = f"1 scan in {1 / k['watchlisted_share']:,.0f}", format_prose

    def vs(table, g):
        return "1 (reference)" if g == MAJORITY else table[g]["ratio"]

    def by_group(points, key):
        return [Series.over_sweep(points, _who(g), lambda pt, g=g: pt["tracked"]["scale"][
            "by_group"][g][key]) for g in groups]

    out = [
        Text(f"**Small per comparison, large per scan.** The threshold, {k['threshold']:g}, is "
             "set on lighter-skinned men: about 1 of their comparisons with someone else in "
             f"10,000 reaches it ({p(a['majority_calibration_fmr_per_10k'])} per 10,000 in the "
             "calibration half). At that one threshold the matcher falsely matches darker-skinned"
             f" women {p(a['fmr_ratio'][WORST]['ratio'])} times as often: "
             f"{p(g1[WORST]['fmr_per_10k'])} against {p(g1[MAJORITY]['fmr_per_10k'])} false "
             f"matches per 10,000 comparisons. Every scan is compared with each of the {gallery} "
             "faces on the watch list, so a scan of someone not on it alerts with a chance of "
             f"1 − (1 − FMR)^{gallery}: {p(g1[MAJORITY]['per_scan'], 'percent')} for a lighter-"
             f"skinned man, {p(g1[WORST]['per_scan'], 'percent')} for a darker-skinned woman. "
             f"At {scans} scans a day, {p(one['false_alerts'], 'count')} false alerts a day meet "
             f"{p(one['true_alerts'], 'count')} true ones (if {listed} shows someone on the "
             f"list): {p(one['false_share'], 'percent')} of alerts name the wrong person. "
             "All these numbers come from a synthetic world."),
        Table("False matches and missed matches, by skin tone and sex",
              [Col("Group"), Col("Share of training faces", "percent"),
               Col("Share of scans", "percent"), Col("False matches per 10,000 comparisons"),
               Col("FMR ratio to lighter-skinned men"), Col("Missed matches (FNMR)", "percent"),
               Col("FNMR ratio to lighter-skinned men")],
              [[g, a["training_shares"][g], a["shares"][g], g1[g]["fmr_per_10k"],
                vs(a["fmr_ratio"], g), g1[g]["fnmr"], vs(a["fnmr_ratio"], g)] for g in groups],
              "One threshold for all. FMR: comparisons of two different people that alert; "
              "FNMR: comparisons with one's own watch-list photo that do not. Shares of training "
              "faces and of scans are the world's design. 95% intervals: Wilson for rates, "
              "Bayesian bootstrap for ratios."),
        Figure("fmr-by-group", "False matches per 10,000 comparisons, by skin tone and sex",
               f"One threshold ({k['threshold']:g}) for all; bars: 95% intervals. " + SYNTHETIC,
               "False matches per 10,000 comparisons rise from lighter-skinned men to lighter-"
               "skinned women, darker-skinned men and darker-skinned women.",
               [Series.of("per 10,000", groups, [g1[g]["fmr_per_10k"] for g in groups])],
               xlabel="Group", ylabel="Per 10,000 comparisons", chart="errorbar"),
        Text("**Why the error grows with the list.** One false match among the G comparisons "
             "of a scan is enough for an alert: the chance is 1 − (1 − FMR)^G, about G × FMR "
             "while that is small, then close to certainty. Our comparisons are independent; a "
             "real scan's comparisons share its photo, so this is the arithmetic, not a "
             f"measurement. Of the false matches, {p(a['false_matches_same_group'], 'percent')}"
             " pair two people of one skin tone and sex, whom the matcher tells apart worst: a "
             "watch list with more of a group's faces raises that group's rate."),
        Figure("gallery-size", f"{PER_SCAN}, by watch-list size", "This page's false-match "
               "rates through 1 − (1 − FMR)^G; bands from the ends of their 95% intervals. "
               + SYNTHETIC, "The chance of a false alert per scan rises with the watch list's "
               "size, nearing certainty for darker-skinned women first.",
               [Series.of(_who(g), a["gallery"]["sizes"], a["gallery"]["per_scan"][g])
                for g in groups], xlabel="Faces on the watch list", ylabel="Per scan",
               y_kind="percent", xscale="log"),
        Table(f"A day of {scans} scans against {gallery} faces",
              [Col("Group"), Col(PER_SCAN, "percent"), Col("False alerts a day", "count"),
               Col("Listed people caught a day", "count")],
              [*([g, g1[g]["per_scan"], g1[g]["false_alerts"], g1[g]["true_alerts"]]
                 for g in groups), ["All scans", "", one["false_alerts"], one["true_alerts"]],
               ["Share of alerts that are false", one["false_share"], "", ""]],
              f"Scans split by group as designed; {listed} shows someone on the list. "
              "Intervals of totals and of the false share join the ends of the groups' "
              "intervals (conservative)."),
        Text("**A threshold per group.** The variant raises each group's threshold until its "
             "non-mated calibration comparisons alert as often as lighter-skinned men's. "
             "Darker-skinned people's false-match rate is then "
             f"{p(a['per_group_fmr_gap']['ratio'])} times lighter-skinned people's, instead "
             f"of {p(record['headline']['ratio'])}. The price is the other error: a darker-"
             f"skinned woman on the list is missed {p(gp[WORST]['fnmr'], 'percent')} of the "
             f"time instead of {p(g1[WORST]['fnmr'], 'percent')}, and of all listed people "
             f"scanned {p(per['missed_share'], 'percent')} walk past instead of "
             f"{p(one['missed_share'], 'percent')}. Nor is the system made acceptable: it still "
             f"raises {p(per['false_alerts'], 'count')} false alerts a day, "
             f"{p(per['false_share'], 'percent')} of its alerts, because everyone is searched. "
             "Equal error rates spread the harm evenly; they do not shrink it. The rule must "
             "also know every scanned face's skin tone and sex, and a matcher that works as "
             "well on a minority is a better tool for watching it."),
        Table("One threshold against a threshold per group",
              [Col("Group"), Col("Threshold", "number"), Col("FMR per 10,000, one"),
               Col("FMR per 10,000, per group"), Col("FNMR, one", "percent"),
               Col("FNMR, per group", "percent"), Col("False alerts a day, per group", "count")],
              [[g, gp[g]["threshold"], g1[g]["fmr_per_10k"], gp[g]["fmr_per_10k"],
                g1[g]["fnmr"], gp[g]["fnmr"], gp[g]["false_alerts"]] for g in groups],
              "Thresholds set on the calibration half, rates measured on the audited half. "
              "fairlearn's ThresholdOptimizer also sets thresholds per group, but for the best "
              "accuracy under a parity constraint, with randomised decisions: it cannot hold a "
              "false-match rate at an operator's 1 in 10,000, so they are set directly here. No "
              "classifier is fitted, so the library mitigations are not run."),
    ]
    sweeps = record.get("sweeps", {})
    for knob, key, ylabel, title, alt in (
            ("threshold", "per_scan", "Per scan", PER_SCAN, "A higher threshold lowers every "
             "group's chance of a false alert, darker-skinned women's last."),
            ("threshold", "fnmr", "FNMR", "Missed matches (FNMR)", "A higher threshold misses "
             "more listed people, darker-skinned women most."),
            ("training_imbalance", "per_scan", "Per scan", PER_SCAN, "With balanced training "
             "every group has about the same chance of a false alert; the more unbalanced, the "
             "higher darker-skinned women's.")):
        if knob in sweeps:
            out.append(Figure(
                f"{knob}-{key}", f"{title}, by {knob.replace('_', ' ')}", "Each point re-runs "
                f"the case with that {knob}; bands: 95% intervals (from 0 errors, an upper "
                "bound). " + SYNTHETIC, alt, by_group(sweeps[knob], key), xlabel=knob,
                ylabel=ylabel, y_kind="percent"))
    return out
