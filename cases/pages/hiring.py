"""The hiring page's own blocks: unawareness, proxies, and what the models rely on."""

from fairness import escape_markdown, format_number, format_prose, format_share, ll144_markdown

from ..blocks import Col, Figure, Series, Table, Text


def blocks(record: dict) -> list:
    a, unaware = record["analyses"], record["headline"]
    aware = next(v for v in record["variants"] if v["name"] == "with sex")["headline"]["label"]
    leak, boosted = a["leakage"], a["importance"]["gradient boosting"]
    features, imp = boosted["features"], boosted["importance"]

    def drop(scope: str, feature: str) -> str:
        return format_number(imp[scope][feature]["mean"])

    return [
        Text("**Fairness through unawareness fails.** The screener never sees the applicant's "
             "sex, yet the features it does see reveal it: a classifier trained to guess sex "
             f"from the screener's five inputs reaches an AUC of {format_prose(leak['auc'])} "
             "(0.5 would be a coin toss). The screener's own weights show where the bias "
             "went: the proxies carry negative weights although they say nothing of skill."),
        Table("Removing the sex column",
              [Col("Model"), Col("Women's shortlist rate minus men's", "points"),
               Col("Impact ratio (women / men)")],
              [["Without sex (the screener)", unaware["difference"], unaware["ratio"]],
               ["With sex as an input", aware["difference"], aware["ratio"]]],
              "Selection-rate difference (percentage points) and ratio, women against men, on "
              "the test applicants, with 95% intervals."),
        Table("How much the inputs reveal sex",
              [Col("Quantity"), Col("Value", "number")],
              [["AUC of a classifier predicting 'female' from the screener's inputs",
                leak["auc"]],
               *[[f"Screener weight of `{k}` (standardised)", v]
                 for k, v in a["coefficients"].items()]],
              f"Leakage of the removed attribute. Classifier: {leak['classifier']}, trained "
              "on the training part, scored on the test part."),
        Text("**What a black box relies on.** Swap the logistic regression for gradient-boosted "
             "trees and there are no weights left to read. Permutation importance (shuffle one "
             "input, see how much the model's ranking of applicants suffers) is then the only "
             "way in. Over all applicants, shuffling `womens_club` costs "
             f"{drop('all', 'womens_club')} of AUC, as much as `keyword_score` "
             f"({drop('all', 'keyword_score')}); within women it costs "
             f"{drop('female', 'womens_club')} and within men {drop('male', 'womens_club')}. The "
             "proxy tells the model little about anyone's skill: what it tells the model is the "
             "applicant's sex."),
        Figure(
            "importance", "What the gradient-boosted screener relies on, by sex",
            "Drop in AUC (against the historical label) when one input is shuffled, for all "
            f"test applicants and within each sex; {boosted['n_repeats']} shuffles each, bars "
            "one standard deviation.",
            "Dot plot with bars: test score matters most everywhere; womens_club matters over "
            "all applicants but hardly within either sex.",
            [Series(scope, features, *([imp[scope][f]["mean"] + k * imp[scope][f]["sd"]
                                        for f in features] for k in (0, -1, 1)))
             for scope in imp],
            xlabel="Input", ylabel="Drop in AUC", chart="errorbar", reference_line=0.0),
        *(ll144_blocks(a["ll144"]) if "ll144" in a else []),
    ]


def ll144_blocks(table: dict) -> list:
    """NYC Local Law 144's bias-audit table (6 RCNY § 5-301), from ``fairness.ll144_table``."""
    share = format_share(table["min_share"], 0)
    lowest = []
    for p in table["parts"]:
        if rows := [r for r in p["rows"]
                    if not r["excludable"] and r["impact_ratio"]["value"] is not None]:
            r = min(rows, key=lambda r: r["impact_ratio"]["value"])
            lowest.append(f"{p['title'].lower()}: {escape_markdown(r['category'])}, "
                          f"{format_prose(r['impact_ratio'], 'ratio')}")
    return [Text(
        "**The bias audit New York City asks for.** Local Law 144 lets an employer use an "
        "automated screener only after an independent bias audit, published in the form "
        f"{table['rule']} sets: per category of sex, of race/ethnicity and of their "
        "intersection, the number of applicants, the selection rate (the share shortlisted) "
        "and the impact ratio, that rate over the most selected category's. The lowest impact "
        f"ratios here, by {'; by '.join(lowest)}. The rule asks for "
        "the numbers, not for a threshold: the four-fifths line is the regulators' rule of "
        f"thumb. A category under {share} of the applicants may be left out of the impact "
        "ratios (§ 5-301(d)); the tables mark it, still show its numbers, and never let it "
        "set the denominator. `casebook audit --ll144` makes the same tables from a file; "
        "the numbers describe synthetic applicants."),
        # The same table, from the same code, as `casebook audit --ll144` writes it.
        Text(ll144_markdown(table, level=4))]
