"""The border page's own blocks: what the lab reports, the lab lottery, the border's base rate."""

from functools import partial

from fairness import AuditResult, format_prose, format_rate_in, format_share

from ..blocks import Col, Figure, Series, Table, Text

FLAGGED = "Innocent flagged per 100,000"
SPREAD = ("Lines: the mean over {n} imagined lab studies at each {x}; bands: the range of the "
          "middle 95% of them (a spread across labs, not a sampling interval).")


def blocks(record: dict) -> list:
    a, audit, perf = record["analyses"], AuditResult(record["audit"]), record["performance"]
    lab, rl, nat, by = a["lab"], a["repeat_labs"], a["per_100k_travellers"], a["by_group"]
    rate = format_rate_in(record['manifest']['knobs']['prevalence'])
    reported, n_lab, sweeps = lab["vendor_cv"], f"{lab['size']:,}", record.get("sweeps", {})
    wide = reported["ci_high"] - reported["ci_low"]
    origins = [g["group"] for g in audit.groups_of("origin")]
    ref, group = audit.reference("origin"), record["headline"]["group"]
    per_100k = {o: by["origin"][o]["innocent_flagged_per_100k"] for o in origins}
    signal = [c for c in lab["channels_chosen"] if c in lab["signal_channels"]]
    prose = partial(format_prose, kind="percent")
    out = [
        Text(f"The lab study of {n_lab} volunteers, half told to lie, reports an accuracy of "
             f"{prose(reported)}" + (f": an interval this wide says how little {n_lab} people "
                                     "can show. " if wide > 0.1 else ". ")
             + f"At a border where {rate} travellers lies (our assumption: the real share is "
             f"unknown), the same model is right about {prose(perf['accuracy'])} of travellers "
             f"(flagging nobody would be right about {prose(a['accuracy_flagging_nobody'])}), "
             f"and only {prose(perf['ppv'])} of those it flags are lying. Of every 100,000 "
             f"innocent travellers it flags {prose(per_100k[ref], kind='count')} from {ref}, where "
             f"the lab recruited, and {prose(per_100k[group], kind='count')} from {group}, whose "
             "expression norms the lab barely saw. All numbers come from a synthetic world."),
        Table("What the lab reports, and what the border gets",
              [Col("Measure"), Col("Value [95% interval]", "percent")],
              [[f"Training accuracy (the {n_lab} volunteers it learned from)", lab["training"]],
               ["Lab accuracy as reported (channels chosen on the whole lab, then "
                "cross-validated)", reported],
               ["Lab accuracy, honest cross-validation (channels chosen again in every fold)",
                lab["honest_cv"]],
               [f"Accuracy at the border ({record['manifest']['n_test']:,} travellers)",
                perf["accuracy"]],
               ["Accuracy at the border of flagging nobody", a["accuracy_flagging_nobody"]],
               ["Balanced accuracy at the border", perf["balanced_accuracy"]],
               ["Liars caught (true positive rate)", perf["tpr"]],
               ["Innocent travellers flagged (false positive rate)", perf["fpr"]],
               ["Flagged travellers who are lying (precision, PPV)", perf["ppv"]]],
              f"From {n_lab} people the interval of the reported accuracy spans "
              f"{format_share(wide, 0)}" + (": wide. " if wide > 0.1 else ". ")
              + "It counts only which volunteers were tested; a new lab would also train "
              "another model (next table). The reported figure has a common leak (not a claim "
              "about any real vendor): the held-out volunteers helped choose the channels. Of "
              f"the {len(lab['channels_chosen'])} chosen, these carry the signal: "
              f"{', '.join(signal) or 'none'}."),
        Table(f"What one lab reported, and what {rl['n_labs']} labs of {n_lab} could have",
              [Col("Lab"), Col("Accuracy as reported", "percent"),
               Col("Accuracy at the border", "percent"), Col("Reported minus border", "points")],
              [["This lab (95% interval)", reported, perf["accuracy"],
                a["lab_vs_border"]["difference"]],
               [f"{rl['n_labs']} imagined labs (mean [middle 95% of labs])",
                rl["vendor_cv_accuracy"], rl["deployment_accuracy"], rl["gap"]]],
              "Each imagined lab recruits new volunteers with the same design and trains its "
              "own model, which meets the same travellers: one lab study is one draw from this "
              "lottery. The second row is a spread across labs, not a sampling interval."),
        Table(f"Per 100,000 travellers when {rate} lie",
              [Col("Travellers"), Col("Number [95% interval]", "count")],
              [["Lying", nat["positives"]], ["Lying and flagged", nat["true_positives"]],
               ["Lying and cleared", nat["false_negatives"]],
               ["Innocent and flagged", nat["false_positives"]], ["All flagged", nat["flagged"]],
               ["Flagged for each liar caught", nat["flagged_per_true_positive"]]],
              "Counts at the border scaled to 100,000 travellers; intervals from a Bayesian "
              "bootstrap of the counts."),
        *[Table(f"At the border, by {attr}: error rates and the four-fifths rule",
                [Col("Group"), Col("Share of travellers", "percent"),
                 Col("Volunteers in the lab", "count"), Col(f"{FLAGGED} innocent", "count"),
                 Col("Flagged who lie (PPV)", "percent"), Col("Liars caught (TPR)", "percent"),
                 Col("Not flagged", "percent"), Col("Impact ratio (not-flagged rate)", "ratio"),
                 Col("Under four-fifths")],
                [[g["group"], g["share"], by[attr][g["group"]]["lab_n"],
                  by[attr][g["group"]]["innocent_flagged_per_100k"], g["metrics"]["ppv"],
                  g["metrics"]["tpr"], g["favorable_rate"], g["impact_ratio"],
                  "yes" if "four_fifths" in g["flags"] else "no"] for g in audit.groups_of(attr)],
                "Being flagged is the burden here, so the impact ratio is taken on the favourable "
                "outcome, not being flagged: each group's not-flagged rate over the highest one "
                f"({audit.summary['by_attribute'][attr]['impact_ratio_denominator']['group']}'s)."
                " A group flagged more often has a lower ratio; under 0.8 it fails the "
                "four-fifths rule. 95% intervals of the audit engine.")
          for attr in ("origin", "sex")],
        Figure("innocent-flagged-by-origin", f"{FLAGGED} innocent travellers, by origin",
               f"{ref} supplied {by['origin'][ref]['lab_n']} of the {n_lab} volunteers. Bars: "
               "95% intervals.", "Innocent travellers flagged per 100,000 innocent travellers "
               "for each origin.", [Series.of(FLAGGED.lower(), origins, list(per_100k.values()))],
               xlabel="Origin", ylabel=FLAGGED, chart="errorbar"),
    ]

    def by_origin(pts: list[dict]) -> list[Series]:
        return [Series.over_sweep(pts, o, lambda p, o=o: p["tracked"]["repeat_labs"][
            "innocent_flagged_per_100k_by_origin"][o]) for o in origins]

    if pts := sweeps.get("lab_size"):
        note = SPREAD.format(n=pts[0]["tracked"]["repeat_labs"]["n_labs"], x="size")
        out += [Figure(
            "lab-size", "Reported lab accuracy against accuracy at the border, by lab size",
            note + " Points: this run's lab.",
            "Reported lab accuracy falls toward the border accuracy as the lab grows.",
            [*[Series.over_sweep(pts, label, lambda p, k=k: p["tracked"]["repeat_labs"][k])
               for label, k in (("reported in the lab", "vendor_cv_accuracy"),
                                ("at the border", "deployment_accuracy"))],
             Series("this lab: reported", [p["value"] for p in pts],
                    [p["tracked"]["lab_accuracy"]["vendor_cv"]["value"] for p in pts]),
             Series.over_sweep(pts, "this lab: at the border", lambda p: p["accuracy"])],
            xlabel="Volunteers in the lab", ylabel="Accuracy", y_kind="percent", xscale="log",
            reference_line=0.5), Figure(
            "lab-size-false-flags", f"{FLAGGED} innocent, by origin and lab size", note,
            "A bigger lab steadies the false flags but keeps region B above region A.",
            by_origin(pts), xlabel="Volunteers in the lab", ylabel=FLAGGED, xscale="log")]
    if pts := sweeps.get("prevalence"):
        out.append(Figure(
            "ppv-prevalence", "Share of flagged travellers who are lying, by prevalence",
            "The same detector at every prevalence; bars: 95% intervals. Under the dashed "
            "line most flagged travellers are innocent.",
            "Precision falls steeply as the share of liars falls.",
            [*[Series.over_sweep(pts, k, lambda p, k=k: p["tracked"]["ppv"][k])
               for k in pts[0]["tracked"]["ppv"]],
             Series("expected from this run's error rates",
                    *(a["ppv_curve"][k] for k in ("prevalence", "ppv", "low", "high")))],
            xlabel="Share of travellers who lie", ylabel="PPV", y_kind="percent", xscale="log",
            reference_line=0.5))
    if pts := sweeps.get("lab_origin_mix"):
        out.append(Figure(
            "lab-origin-mix", f"{FLAGGED} innocent, by the lab's share from {ref}",
            f"{ref} is half of the travellers: at 0.5 the lab matches them. "
            + SPREAD.format(n=pts[0]["tracked"]["repeat_labs"]["n_labs"], x="mix"),
            "Matching the lab to the travellers leaves region B's extra false flags.",
            by_origin(pts), xlabel=f"Share of the lab from {ref}", ylabel=FLAGGED))
    return out
