"""The babysitter page's blocks: two audits of one score, the tagger, proxies, offline policies."""

from fairness import AuditResult, format_number, format_prose

from ..blocks import Col, Figure, Series, Table, Text

TWO_AUDITS = (  # header, audit (0: against the tagger's label, 1: the truth), metric
    ("Flag rate", 0, "selection_rate"), ("Flagged by tagger", 0, "base_rate"),
    ("Truly unsafe", 1, "base_rate"), ("False flags (vs tagger)", 0, "fpr"),
    ("False flags (vs truth)", 1, "fpr"), ("Unsafe caught (vs truth)", 1, "tpr"))
POLICY = (  # header, kind, gap in the record, its side
    ("Offline flag rate", "percent", "offline_selection_rate", "group_value"),
    ("Flag-rate gap, offline − online", "points", "offline_selection_rate", "difference"),
    ("Safe offline candidates flagged", "percent", "offline_fpr", "group_value"),
    ("Unsafe offline candidates passed", "percent", "offline_fnr", "group_value"),
    ("Flag-rate gap, 40 and over − 25-39", "points", "older_flag_rate", "difference"),
    ("Flag-rate gap, low − middle income", "points", "low_income_flag_rate", "difference"))


def blocks(record: dict) -> list:
    a, lvt, knobs = record["analyses"], record["label_vs_truth"], record["manifest"]["knobs"]
    tagger, policies, sweeps = a["tagger"], a["offline_policies"], record.get("sweeps", {})
    audits = AuditResult(record["audit"]), AuditResult(record["audits"]["truth"])
    black = audits[0].group("ethnicity", "Black")
    same = [p["policy"] for p in policies[1:] if p["decides_as_this_run"]]
    out = [
        Text(f"With `tagger_dialect_bias={knobs['tagger_dialect_bias']:g}`, the tagger's "
             "false-flag rate is higher for safe Black candidates than for safe White ones by "
             f"{format_prose(tagger['fpr_gap_black']['difference'], 'points')}. Audited "
             "against the tagger's own label, the score's false-flag gap is "
             f"{format_prose(lvt['vs_label']['difference'], 'points')}; against true conduct "
             f"it is {format_prose(lvt['vs_truth']['difference'], 'points')}. An audit "
             "against the label understates the gap.\n\n"
             "**A flag is a burden.** The four-fifths rule compares the favourable decision, "
             "not being flagged: Black candidates' rate of it is "
             f"{format_prose(black['impact_ratio'], 'ratio')} times the highest group's ("
             + ("above" if "four_fifths" not in black["flags"] else "below") + " 0.8), while "
             f"they are flagged {format_prose(record['headline']['ratio'])} times as often as "
             "White candidates."),
        Table("The same decisions, audited against two labels",
              [Col("Ethnicity"), Col("Candidates", "count"),
               *(Col(h, "percent") for h, _, _ in TWO_AUDITS)],
              [[g["group"], g["n"], *(audits[i].group("ethnicity", g["group"])["metrics"][m]
                                      for _, i, m in TWO_AUDITS)]
               for g in audits[0].groups_of("ethnicity")],
              "Flag rate is the share flagged as risky (the audit's selection rate). A false "
              "flag is a flag on a candidate the label calls safe: the tagger's label in one "
              "column, true conduct in the next."),
        Table("The tagger itself, against true conduct",
              [Col("Group"), Col("Candidates", "count"), Col("Flagged by tagger", "percent"),
               Col("False flags", "percent"), Col("Unsafe caught", "percent")],
              [[g["group"], g["n"], *(g["metrics"][m] for m in ("selection_rate", "fpr", "tpr"))]
               for g in tagger["groups"]],
              "Test candidates with an online profile. AAE: African American English; SAE: "
              "standard American English."),
        Table("Candidates with no online presence, under each policy",
              [Col("Policy"), Col("Score of an offline candidate", "number"),
               *(Col(h, kind) for h, kind, _, _ in POLICY)],
              [[p["policy"], p["offline_score"], *(p[gap][side] if p[gap] else None
                                                   for _, _, gap, side in POLICY)]
               for p in policies],  # a gap is None when no one is offline
              f"Cut-off {knobs['cutoff']:g}; the first row is this run's policy. Rates "
              "against true conduct."),
        *([Text(f"Imputed at the mean, an offline candidate scores "
                f"{format_number(policies[0]['offline_score'])}, so the silent default "
                f"decides every candidate exactly as `{same[0]}` does.")]
          if policies[0]["policy"] == "mean" and same else []),
        Table("What the inputs reveal about ethnicity",
              [Col("Inputs"), Col("AUC predicting 'Black'", "number")],
              [["the tagger's flags (recent flag share, verdict)",
                record["tracked"]["tagger_flags_leakage"]],
               ["all the score's inputs (with slang rate)", a["model_inputs_leakage"]["auc"]]],
              f"A {a['model_inputs_leakage']['classifier']}'s AUC on test candidates with a "
              "profile, trained on the training part's; 0.5 means the inputs reveal nothing."),
    ]
    if bias := sweeps.get("tagger_dialect_bias"):
        out += [
            Figure("bias-sweep", "The tagger's dialect bias and the audit's verdict",
                   "Bands: 95% intervals. At 0 the gaps cover parity; above it the audit "
                   "against the label understates the gap against the truth.",
                   "Three lines rising with the tagger's bias; the false-flag gap against "
                   "true conduct rises faster than the one against the tagger's label.",
                   [Series.over_sweep(bias, "flag rate", lambda p: p["headline"]["difference"]),
                    Series.over_sweep(bias, "false flags vs tagger's label",
                                      lambda p: p["tracked"]["fpr_gap_vs_label"]["difference"]),
                    Series.over_sweep(bias, "false flags vs true conduct",
                                      lambda p: p["headline_vs_truth"]["difference"])],
                   xlabel="tagger_dialect_bias", ylabel="Black − White, percentage points",
                   y_kind="points", reference_line=0.0),
            Figure("bias-leakage", "How much the tagger's flags reveal about ethnicity",
                   "0.5: the flags say nothing of ethnicity. Bands: 95% intervals.",
                   "The proxy AUC starts near 0.5 and grows with the tagger's bias.",
                   [Series.over_sweep(bias, "proxy AUC",
                                      lambda p: p["tracked"]["tagger_flags_leakage"])],
                   xlabel="tagger_dialect_bias", ylabel="AUC predicting 'Black' from the flags",
                   reference_line=0.5)]
    if offline := sweeps.get("offline_rate"):
        out.append(Figure(
            "offline-sweep", "More candidates offline",
            f"Under this run's policy (`{knobs['offline_policy']}`). Bands: 95% intervals.",
            "How the age gap in flags and the share of unsafe candidates caught change as "
            "more candidates have no posts.",
            [Series.over_sweep(offline, "flag-rate gap, 40 and over − 25-39",
                               lambda p: p["tracked"]["older_flag_rate_gap"]["difference"]),
             Series.over_sweep(offline, "unsafe candidates caught (vs truth)",
                               lambda p: p["tracked"]["tpr_vs_truth"])],
            xlabel="offline_rate", ylabel="rate or gap", y_kind="percent", reference_line=0.0))
    return out
