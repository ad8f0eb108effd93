"""The violence-risk page's blocks: calibration to two targets, the identity, the leak, rarity."""

from __future__ import annotations

from fairness import AuditResult, format_number, format_prose, format_share

from ..blocks import Col, Figure, Series, Table, Text

AREAS = ("less policed", "heavily policed")
AGAINST = {"label": "recorded violence (arrests)", "truth": "true violence"}
PER_100K = (("Future offenders", "positives"), ("Flagged", "flagged"),
            ("Offenders flagged", "true_positives"), ("Offenders not flagged", "false_negatives"),
            ("Never-offenders flagged", "false_positives"))
CODING = (("AUC", "number", "auc"), ("Accuracy", "percent", "accuracy"), ("Balanced accuracy",
          "percent", "balanced_accuracy"), ("Recorded offenders flagged (TPR)", "percent", "tpr"),
          ("Flagged who are recorded (PPV)", "percent", "ppv"))
EVALUATIONS = ("claimed", "honest", "fixed and retrained")


def _reliability(a: dict, against: str) -> Figure:
    bins = a["reliability"][against]
    top = max(b["mean_score"] for area in AREAS for b in bins[area])
    return Figure(
        f"reliability-{against}", f"Reliability by area, against {AGAINST[against]}",
        f"Points: the audit engine's calibration bins (width 0.1) with at least {a['min_bin']} "
        f"people, their mean score and their share with {AGAINST[against]}; bands: 95% Wilson "
        "intervals. On the diagonal the score is calibrated. Synthetic world.",
        f"Share with {AGAINST[against]} against mean score, one line per area, and the "
        "diagonal of perfect calibration.",
        [*[Series.of(x, [b["mean_score"] for b in bins[x]], [b["observed"] for b in bins[x]])
           for x in AREAS], Series("perfectly calibrated", [0.0, top], [0.0, top])],
        xlabel="Mean score in the bin", ylabel=f"Share with {AGAINST[against]}",
        y_kind="percent")


def blocks(record: dict) -> list:
    a, sweeps, knobs = record["analyses"], record.get("sweeps", {}), record["manifest"]["knobs"]
    oe, code, ident = a["observed_over_expected"], a["coding_error"], a["identity"]
    black = AuditResult(record["audit"]).group("ethnicity", "Black")
    less, heavy = (oe[x] for x in AREAS)
    rates = {ag: {g["group"]: g["metrics"] for g in gs} for ag, gs in a["by_area"].items()}
    label_rates, truth_rates = (rates[ag] for ag in AGAINST)
    nobody, p = format_share(1 - record["performance"]["base_rate"]["value"]), format_prose
    out = [
        Text("**Calibrated to arrests.** In both areas the score predicts recorded violence "
             f"about right: recorded offences over the mean score are {p(less['label'])} where "
             f"policing is lighter and {p(heavy['label'])} where it is heavier (1 is "
             "calibrated). **Not to violence.** Against who truly offends the same ratio is "
             f"{p(less['truth'])} and {p(heavy['truth'])}: at the same score, a person in a less "
             f"policed area is {format_number(less['truth']['value'] / heavy['truth']['value'])}"
             " times as likely to truly commit serious violence. The score has learnt where "
             "police record, not only who offends.\n\n"
             "Black people, more of whom live in heavily policed areas in this synthetic world, "
             f"are flagged {p(record['headline']['ratio'])} times as often as White people, and "
             "Black people who will never commit serious violence "
             f"{p(record['label_vs_truth']['vs_truth']['ratio'])} times as often as White people "
             f"who will not; yet their impact ratio is {p(black['impact_ratio'], 'ratio')}, far "
             "above the four-fifths line, because flags are rare."),
        Table("Calibration in the large, by area",
              [Col("Area"), Col("People", "count"), Col("Mean score", "percent"),
               Col("Recorded ÷ score", "number"), Col("True ÷ score", "number"),
               Col("True ÷ score, model trained on true violence", "number")],
              [[x, oe[x]["n"], oe[x]["mean_score"], oe[x]["label"], oe[x]["truth"],
                a["oracle_observed_over_expected"][x]["truth"]] for x in AREAS],
              "Share with recorded (or true) violence over the mean score of the audited people: "
              "1 is calibrated. Last column: the same model trained on true violence, which no "
              "police force observes. 95% Wilson intervals, scaled."),
        _reliability(a, "label"), _reliability(a, "truth"),
        Text("**Calibration and equal error rates cannot both hold when base rates differ.** "
             "For any decision, FPR = p/(1 − p) × (1 − PPV)/PPV × (1 − FNR), p being the base "
             "rate: an identity of the definitions (Chouldechova). Against arrests, the heavily "
             f"policed area's base rate is {p(label_rates[AREAS[1]]['base_rate'], 'percent')} "
             f"and the other's {p(label_rates[AREAS[0]]['base_rate'], 'percent')}: even with "
             "the less policed area's PPV and FNR, the heavily policed area's false positive "
             f"rate would be {format_share(ident['label'][AREAS[1]])} against "
             f"{format_share(label_rates[AREAS[0]]['fpr']['value'])}. Against true violence the "
             "base rates are about equal, so nothing forces a gap; the gap there "
             f"({p(truth_rates[AREAS[1]]['fpr'], 'percent')} against "
             f"{p(truth_rates[AREAS[0]]['fpr'], 'percent')}) comes from a score calibrated to "
             "the wrong target."),
        Table("The identity on this world's numbers",
              [Col("Against"), Col("Area"), Col("Base rate", "percent"),
               Col("Flagged who offend (PPV)", "percent"),
               Col("Offenders not flagged (FNR)", "percent"),
               Col("Non-offenders flagged (FPR)", "percent"),
               Col("FPR with the less policed area's PPV and FNR", "percent")],
              [[AGAINST[ag], x, m["base_rate"], m["ppv"], m["fnr"], m["fpr"], ident[ag][x]]
               for ag in AGAINST for x in AREAS if (m := rates[ag][x])],
              "Rates of the audit engine with 95% intervals; the last column is the identity "
              "computed from the point values."),
        Text("**A coding error inflates the reported accuracy.** With the custody count's window "
             "running into the outcome window, a recorded offence adds to its own predictor. "
             f"Tested on data with the same error, the model's AUC is {p(code['claimed']['auc'])};"
             f" on correctly coded data, as in use, it is {p(code['honest']['auc'])}. Accuracy "
             f"hardly moves: flagging nobody would be right about {nobody} of people."),
        Table("What was reported, and what the model would do",
              [Col("Evaluation"), *(Col(h, kind) for h, kind, _ in CODING)],
              [[name, *(code[name][k] for _, _, k in CODING)] for name in EVALUATIONS],
              "Against recorded violence. Claimed: the model with the coding error, tested on "
              "data with the same error. Honest: that model on correctly coded data. Fixed and "
              "retrained: the case's model. AUC with Hanley-McNeil intervals, rates with Wilson."),
        Table(f"Per 100,000 people known to police, against true violence (base rate "
              f"{format_share(knobs['base_rate'])})",
              [Col("Group"), *(Col(h, "count") for h, _ in PER_100K),
               Col("Flagged per offender flagged", "number")],
              [[g, *(r[k] for _, k in PER_100K), r["flagged_per_true_positive"]]
               for g, r in {**a["rarity"], **a["rarity_by_area"]}.items()],
              "The audited people's counts scaled to 100,000 of each group; intervals from a "
              "Bayesian bootstrap of the counts. The base rate is our assumption."),
    ]
    if pts := sweeps.get("policing_gap"):
        out.append(Figure(
            "policing-gap", "Violence over score, by area, as policing diverges",
            "Recorded (or true) violence over the mean score in each area; 1 is calibrated. "
            "Bands: 95% intervals. Synthetic world.",
            "Against arrests both areas stay near 1; against true violence the heavily policed "
            "area falls as its extra policing grows, the other stays near 2.",
            [Series.over_sweep(pts, f"{x}, {AGAINST[ag]}",
                               lambda q, x=x, ag=ag: q["tracked"]["observed_over_expected"][x][ag])
             for ag in AGAINST for x in AREAS],
            xlabel="policing_gap", ylabel="Observed ÷ mean score", reference_line=1.0))
    if pts := sweeps.get("coding_error"):
        out.append(Figure(
            "coding-error", "Reported AUC against honest AUC, by the size of the coding error",
            "AUC against recorded violence; bands: 95% Hanley-McNeil intervals. Synthetic world.",
            "The claimed AUC rises with the coding error; the honest AUC of the same model falls.",
            [Series.over_sweep(pts, name, lambda q, n=name: q["tracked"]["coding_error"][n]["auc"])
             for name in EVALUATIONS], xlabel="coding_error (share of the outcome window leaking)",
            ylabel="AUC", reference_line=0.5))
    if pts := sweeps.get("base_rate"):
        out.append(Figure(
            "base-rate", "Future offenders flagged, and flagged people who offend, by base rate",
            f"Against true violence, at the threshold {knobs['threshold']:g}, the model "
            "retrained at every base rate. Bands: 95% intervals. Synthetic world.",
            "As serious violence gets rarer, the share of future offenders flagged falls; the "
            "share of flagged people who offend stays under a half.",
            [Series.over_sweep(pts, label, lambda q, k=k: q["tracked"]["vs_truth"][k])
             for label, k in (("future offenders flagged (TPR)", "tpr"),
                              ("flagged who offend (PPV)", "ppv"))],
            xlabel="Base rate of serious violence", ylabel="Share", y_kind="percent"))
    return out
