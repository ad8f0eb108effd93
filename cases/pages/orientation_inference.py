"""The orientation page's blocks: pairwise score against precision, people exposed, leakage,
and a fairness mitigation that exposes as many people."""

from __future__ import annotations

from fairness import AuditResult, format_number, format_prose, format_rate_in, format_share

from ..blocks import Col, Figure, Series, Table, Text

ROWS = (("inferred gay or lesbian: the people exposed", "flagged"),
        ("gay or lesbian and inferred: outed without consent", "true_positives"),
        ("straight and inferred: falsely outed", "false_positives"))
CURVES = {k: f"expected from the error rates {w}" for k, w in
          (("site", "on the site"), ("population", "in the population"))}
LINES = {"pairwise_site": "pairwise score on the site (held out)", "exposed": "people exposed",
         "pairwise_population": "pairwise score in the population", "precision": "precision"}
PAIRWISE = ("pairwise_site", "pairwise_population", "precision")
SWEPT = {  # knob: figure title, what it plots, caption
    "deployment_shift": ("Pairwise scores and precision as photos leave the site", PAIRWISE,
                         "At 1 photos off the site carry none of its difference: the score is "
                         "at chance (dashed), precision at the prevalence."),
    "self_presentation": ("Pairwise scores and precision as self-presentation fades",
                          (*PAIRWISE, "exposed"), "At 0 no one presents differently on the "
                          "site; the model still infers about half of everyone."),
    "threshold": ("People exposed and precision at stricter thresholds", ("exposed", "precision"),
                  "It exposes fewer people; most of those it still exposes are straight.")}


def blocks(record: dict) -> list:
    a, perf, knobs = record["analyses"], record["performance"], record["manifest"]["knobs"]
    site, pop, n, leak = (a["pairwise"]["site"], a["pairwise"]["population"], a["per_1000"],
                          a["leakage"]["alone"])
    m, rate, shift = a["mitigation"], format_rate_in(knobs["prevalence"]), knobs["deployment_shift"]
    sweeps, women = record.get("sweeps", {}), AuditResult(record["audit"]).group("sex", "women")

    def prose(est: dict, kind: str = "percent") -> str:
        return format_prose(est, kind)

    def most(prefix: str) -> str:
        return max((f for f in leak if f.startswith(prefix)), key=lambda f: leak[f]["value"])

    def both(key: str) -> str:
        return " and ".join(format_number(round(x[key]["value"])) for x in (mit, same))

    rows = (("the model, threshold 0.5", m["model"]), (m["name"], m["mitigated"]),
            (f"the model, threshold {m['matched_threshold']:.2f}", m["same_exposure"]))
    same, mit = m["same_exposure"]["per_1000"], m["mitigated"]["per_1000"]

    out = [
        Text(f"On the dating site's held-out users the model ranks a gay man above a straight man "
             f"{prose(site['men'])} of the time, and a lesbian woman above a straight woman "
             f"{prose(site['women'])}: the pairwise score the paper reported (81% and 71%). "
             "Nobody meets people in pairs of one gay and one straight. In a population where "
             f"{rate} people is gay or lesbian and photos carry {1 - shift:.0%} of the site's "
             f"difference (our assumptions), the pairwise score falls to {prose(pop['all'])}"
             f", and of every 1,000 people it infers {prose(n['flagged'], 'count')} to be gay or "
             f"lesbian: {prose(n['false_positives'], 'count')} straight people "
             f"falsely outed and {prose(n['true_positives'], 'count')} gay or lesbian people outed "
             f"without their consent. Only {prose(perf['ppv'])} of the people it infers are gay "
             "or lesbian. All numbers come from a synthetic world."),
        Table("The paper's metric, and the ones that fit the need",
              [Col("Measure"), Col("Dating site, held out", "percent"),
               Col("General population", "percent")],
              [["Pairwise score (AUC), men", site["men"], pop["men"]],
               ["Pairwise score (AUC), women", site["women"], pop["women"]],
               ["Share who are gay or lesbian (prevalence)", 0.5, perf["base_rate"]],
               ["Accuracy", a["site"]["accuracy"], perf["accuracy"]],
               ["Gay or lesbian people inferred to be (TPR)", a["site"]["tpr"], perf["tpr"]],
               ["Straight people inferred to be gay or lesbian (FPR)", a["site"]["fpr"],
                perf["fpr"]],
               ["Inferred who are gay or lesbian (precision, PPV)", a["site"]["ppv"],
                perf["ppv"]]],
              f"The same model on 4,000 site users it did not learn from and on "
              f"{record['manifest']['n_test']:,} people of the population. A pairwise score "
              "does not depend on the prevalence; precision does. 95% intervals."),
        Figure("ppv-prevalence", "Precision by prevalence: how many of those it infers are "
               "gay or lesbian", "Lines: Bayes' rule on the model's error rates on the site's "
               "held-out users and in the population, with bands from their 95% intervals; "
               "points: the population regenerated at each prevalence. Under the dashed line "
               "most people it infers are straight.",
               "Precision falls steeply with the share of gay or lesbian people, from about two "
               "thirds at one in two on the site's photos.",
               [*(Series(CURVES[k], c["prevalence"], c["ppv"], c["low"], c["high"])
                  for k, c in a["ppv_curve"].items()),
                *([Series.over_sweep(sweeps["prevalence"], "measured in the population",
                                     lambda p: p["tracked"]["sweep"]["precision"])]
                  if "prevalence" in sweeps else [])],
               xlabel="Share of people who are gay or lesbian", ylabel="Precision (PPV)",
               y_kind="percent", xscale="log", reference_line=0.5),
        Table(f"Per 1,000 people when {rate} is gay or lesbian",
              [Col("People"), Col("Number [95% interval]", "count")],
              [["gay or lesbian", n["positives"]], *([label, n[k]] for label, k in ROWS)],
              f"It exposes {format_number(n['flagged_per_true_positive']['value'])} people for "
              "each gay or lesbian person it finds. Counts in the population scaled to 1,000; "
              "intervals from a Bayesian bootstrap of the counts."),
        Table("The people it ranks most likely, as an operator would use it",
              [Col("People ranked most likely"), Col("Who are gay or lesbian", "percent")],
              [[f"top {float(k):.0%} of the population", v] for k, v in a["top_ranked"].items()],
              "Even where it is most confident, most people it singles out are straight."),
        Table("What the photo features reveal",
              [Col("Features"), Col("AUC for being gay or lesbian", "number")],
              [*([f"`{most(c)}`, the most revealing {c} channel alone", leak[most(c)]]
                 for c in ("presentation", "face")), ["all 12, the model", site["all"]],
               [f"all 12, {a['leakage']['together']['classifier']}",
                a["leakage"]["together"]["auc"]]],
              "On the site's held-out users; 0.5: the features reveal nothing. No channel is "
              "orientation and none alone says much; together they leak it."),
        Text(f"**A fairness mitigation that succeeds.** `{m['name']}` equalises the error rates "
             "of women and men, and on its own terms it works: the gap in false outings, straight "
             f"women against straight men, goes from {prose(m['model']['fpr_gap'], 'points')} to "
             f"{prose(m['mitigated']['fpr_gap'], 'points')}, and accuracy rises from "
             f"{format_share(m['model']['accuracy']['value'])} to "
             f"{format_share(m['mitigated']['accuracy']['value'])}. It exposes "
             f"{prose(mit['flagged'], 'count')} of every 1,000 people; the model itself at "
             f"threshold {m['matched_threshold']:.2f} exposes as many, with an accuracy of "
             f"{format_share(m['same_exposure']['accuracy']['value'])}. Both falsely "
             f"out about as many straight people ({both('false_positives')}) and out about as "
             f"many gay or lesbian people ({both('true_positives')}). The mitigation changes "
             "which of the exposed are women and which are men, not how many they are. No "
             "metric of the audit counts the people exposed, and the four-fifths rule, on not "
             "being inferred, is "
             + ("failed" if "four_fifths" in women["flags"] else "passed")
             + f": women's impact ratio is {prose(women['impact_ratio'], 'ratio')}. Equal "
             "error rates make the outings fair, not fewer. **The conclusion is not to mitigate "
             "the system but not to build it**: inferring a person's orientation harms them "
             "when it is wrong and when it is right."),
        Table("Equal error rates, and the people exposed",
              [Col("Decisions"), Col("Straight women inferred", "percent"),
               Col("Straight men inferred", "percent"), Col("Gap, women − men", "points"),
               *(Col(f"Per 1,000: {label.split(': ')[1]}", "count") for label, _ in ROWS)],
              [[name, r["fpr"]["women"], r["fpr"]["men"], r["fpr_gap"],
                *(r["per_1000"][k] for _, k in ROWS)] for name, r in rows],
              "In the general population; the last row exposes as many people as the "
              "mitigation, fitted on the site's users as in the mitigations section below. 95% "
              "intervals."),
    ]
    return out + [Figure(
        knob.replace("_", "-"), title,
        f"Refitted or re-decided at each value; bands: 95% intervals. {caption}",
        f"Lines over {knob}: {'; '.join(LINES[k] for k in keys)}. {caption}",
        [Series.over_sweep(sweeps[knob], LINES[k], lambda p, k=k: p["tracked"]["sweep"][k])
         for k in keys], xlabel=knob, ylabel="Share", y_kind="percent", reference_line=0.5)
        for knob, (title, keys, caption) in SWEPT.items() if knob in sweeps]
