"""The mass-categorisation page's own blocks: flags at population scale, parity, refusal."""

from __future__ import annotations

from fairness import format_number, format_prose, format_rate_in

from ..blocks import Col, Figure, Series, Table, Text

NAMES = {"none": "The rule", "ThresholdOptimizer": "ThresholdOptimizer (fairlearn)",
         "same total": "Same total, equal rates"}
A, B = "group A", "group B"
ROWS = (  # the rows of the parity table: what each decision does, in people
    ("Group A flagged, per million of group A", lambda d: d["by_group"][A]["flagged_per_million"]),
    ("Group B flagged, per million of group B", lambda d: d["by_group"][B]["flagged_per_million"]),
    ("Change against the rule, group A", lambda d: d["by_group"][A]["change_per_million"]),
    ("Change against the rule, group B", lambda d: d["by_group"][B]["change_per_million"]),
    ("Group A flagged under no category at all",
     lambda d: d["by_group"][A]["unrecorded_flagged_per_million"]),
    ("All flagged, per million residents", lambda d: d["flagged"]),
    ("Flagged with no real threat, per million residents", lambda d: d["flagged_without_threat"]),
    ("Flagged for each real threat caught", lambda d: d["flagged_per_threat_caught"]))


def blocks(record: dict) -> list:
    a, sweeps = record["analyses"], record.get("sweeps", {})
    rule, *fixes = a["decisions"]
    fix = {d["parity"]: d for d in fixes}
    to, quota = fix["ThresholdOptimizer"], fix["same total"]
    k = record["manifest"]["knobs"]["n_categories"]

    def count(est) -> str:
        return format_prose(est, "count")

    def per_m(d, g) -> str:
        return count(d["by_group"][g]["flagged_per_million"])

    out = [
        Text(f"In this synthetic world, whose groups, behaviours and rates we invented, the rule "
             f"with {k} person types in force flags **{count(rule['flagged'])} of every million "
             f"residents** for investigation: {per_m(rule, A)} per million residents of group "
             f"A and {per_m(rule, B)} per million of group B. The world holds "
             f"{count(a['threats_per_million'])} real threats per million residents (we "
             f"assumed {format_rate_in(record['manifest']['knobs']['threat_rate'])}), and no "
             "behaviour says anything about them, so "
             f"{count(rule['flagged_without_threat'])} of every million residents are flagged "
             "without being one. Even if every real threat were among the flagged, there would "
             f"be {format_number(a['flagged_per_threat_if_all_caught'])} residents flagged for "
             "each; as it is, "
             f"{count(rule['flagged_per_threat_caught'])} are flagged for each threat caught."),
    ]
    if "n_categories" in sweeps:
        pts, xs = sweeps["n_categories"], [p["value"] for p in sweeps["n_categories"]]
        out += [
            Figure("flags-by-categories", "Residents flagged per million as categories are added",
                   "Residents of each group flagged under at least one category, per million "
                   "(synthetic world; the 95% bands are too narrow to see), and 1 − Π(1 − p_k) "
                   "from each category's flag rate p_k in the group, the number flagged if the "
                   "categories fired independently: here they nearly do, and its lines lie "
                   "under the observed ones.",
                   "Line chart: about 8,000 per million flagged with one category, rising to "
                   "over a third of group A and more than half of group B with 36; the "
                   "formula's lines lie on the observed points.",
                   [*[Series(f"1 − Π(1 − p_k), {g}", xs, [p["tracked"]["formula"][g]
                                                           for p in pts]) for g in (A, B)],
                    *[Series.over_sweep(pts, f"flagged, {g}", lambda p, g=g: p["tracked"][
                        "flagged_per_million_by_group"][g]) for g in (A, B)]],
                   xlabel="Person types in force", ylabel="Flagged per million residents"),
        ]
    out += [
        Table("What equal flag rates change, and what they do not",
              [Col(""), *(Col(NAMES[d["parity"]], "count") for d in a["decisions"])],
              [[label, *(row(d) for d in a["decisions"])] for label, row in ROWS],
              "Per million residents of the group, or of all residents, with 95% intervals; "
              "changes are against the rule, on the same residents. Both fixes decide with "
              "each resident's group."),
        Text("**Parity cannot legitimise it.** The rule fails the four-fifths rule of thumb: "
             "group B's impact ratio, on the shares not flagged, is "
             f"{format_prose(rule['by_group'][B]['impact_ratio'], 'ratio')}. fairlearn's "
             "ThresholdOptimizer, asked for equal flag rates at the best accuracy against the "
             "operators' own label, brings it to "
             f"{format_prose(to['by_group'][B]['impact_ratio'], 'ratio')}"
             f" by flagging {format_number(-to['by_group'][B]['change_per_million'])} fewer per "
             "million residents of group B and no fewer of group A: it still flags "
             f"{count(to['flagged_without_threat'])} of every million residents without a real "
             "threat. A fix that keeps the number flagged, impact ratio "
             f"{format_prose(quota['by_group'][B]['impact_ratio'], 'ratio')}, flags "
             f"{format_number(quota['by_group'][A]['change_per_million'])} more per million "
             "residents of group A, every one of them drawn at random among residents recorded "
             "under no category at all, and "
             f"{format_number(-quota['by_group'][B]['change_per_million'])} fewer of group B: "
             f"the same {count(quota['flagged'])} per million residents are flagged. Fair by "
             "the metric, both; and both leave flags for lawful behaviour the rule, not the "
             "exception."),
        Table("The 36 person types of this synthetic world",
              [Col("Person type (invented)"), Col("Theme"), Col("In force"),
               Col("Group A recorded", "percent"), Col("Group B recorded", "percent")],
              [[c["name"], c["theme"], "yes" if c["in_force"] else "no", c["rate"][A],
                c["rate"][B]] for c in a["categories"]],
              "Share of each group recorded under each category, with 95% intervals, in the "
              "order they are put in force. The behaviours are invented and lawful; religious "
              "practice and contacts abroad are more common in group B (group_gap), the "
              "others as common in both groups."),
        Text("**The lesson: refuse the task.** An audit of this system can measure a gap of "
             f"{format_prose(record['headline']['difference'], 'points')} between the groups, "
             "and a fix can close it. Neither touches what is wrong: the system exists to put "
             f"{count(rule['flagged'])} of every million residents under investigation for "
             "lawful behaviour, and equal rates spare some of one group or burden more of the "
             "other without making such flags rare. Fairness metrics compare how a decision "
             "falls on groups; they presuppose a decision that may legitimately be made. When it "
             "may not, an auditor who reports a fairness score lends the system a legitimacy "
             "the numbers deny: the auditor's task is to say so, and to decline to certify it."),
    ]
    return out
