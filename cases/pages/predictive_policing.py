"""The predictive-policing page's own blocks: what the simulation of the loop shows."""

from fairness import AuditResult, format_prose, format_share

from ..blocks import Col, Figure, Series, Table, Text

RECORDS = {"uncorrected": "Uncorrected loop (reported + discovered)",
           "reported_only": "Reported incidents only",
           "corrected": "Ensign et al.'s correction"}
MINORITY = "mostly minority"


def blocks(record: dict) -> list:
    a, tracked = record["analyses"], record["tracked"]
    sim, loops, crime = a["simulation"], a["loops"], tracked["crime_share_mostly_minority"]
    share, main = tracked["patrol_share_mostly_minority"], record["manifest"]["knobs"]["records"]
    districts = [d["district"] for d in a["districts"]]
    # The audit of this city's stops under each way of recording (the runner's variants).
    audited = {v["knobs"]["records"]: v["headline"]["label"] for v in record["variants"]}
    audited[main] = record["headline"]
    minority, majority = (AuditResult(record["audit"]).group("district_group", g)
                          for g in (MINORITY, "mostly majority"))
    across = loops[main]["across_runs"]
    finding = "; ".join(f"{RECORDS[k]}: {format_prose(share[k], 'percent')}" for k in share)
    return [
        Text(f"Each of {sim['n_runs']} simulated runs plays {sim['n_rounds']} rounds of patrol "
             "allocation; every way of recording crime sees the same random numbers. Bands and "
             "intervals here are **across runs** (the median run, and the 2.5th and 97.5th "
             "percentiles of the runs): how far the loop's own randomness moves the outcome, "
             "not a sampling interval like the audit's. After the last round the "
             f"mostly-minority districts, with {format_share(crime)} of the true crime, get "
             f"these shares of patrols. {finding}."),
        Figure("allocation-over-time",
               "Patrol share of the mostly-minority districts, round by round",
               "Share of patrols sent to the two mostly-minority districts in each round, by "
               "how crime is recorded (synthetic simulation; median and 2.5th–97.5th "
               "percentiles across runs). Dashed: their true share of crime.",
               "Line chart of patrol share over rounds. The uncorrected loop stays above the "
               "true crime share with a wide band; reported-only and corrected records stay "
               "near it.",
               [Series.of(RECORDS[k], sim["rounds"], v["mostly_minority_share_over_rounds"])
                for k, v in loops.items()],
               xlabel="Round", ylabel="Patrol share", y_kind="percent", reference_line=crime),
        Figure("final-share", "Final patrol share against true share of crime, by district",
               "Each district's share of patrols after the last round (median and "
               "2.5th–97.5th percentiles across runs) against its true share of crime "
               "(synthetic simulation). D1–D2 are the mostly-minority districts.",
               "Error-bar chart by district: under the uncorrected loop D1 and D2 receive more "
               "than their true share of patrols; the other records sit near the true shares.",
               [Series("True share of crime", districts,
                       [d["true_share"] for d in a["districts"]]),
                *[Series.of(RECORDS[k], districts, [v["final_share"][d] for d in districts])
                  for k, v in loops.items()]],
               xlabel="District", ylabel="Share", chart="errorbar", y_kind="percent"),
        Table("The ways of recording crime compared",
              [Col("Records"), Col("Final patrol share, mostly-minority districts", "percent"),
               Col("Patrols attributed to minority residents", "percent"),
               Col("Patrols misplaced (total variation)", "percent"),
               Col("Stop-rate difference across runs", "points"),
               Col("Stop-rate difference in this city (audit)", "points")],
              [[RECORDS[k], share[k], loops[k]["minority_residents_share"],
                tracked["tv_distance"][k], tracked["stop_rate_difference"][k],
                audited[k]["difference"]] for k in share],
              f"True shares of crime: {format_share(crime)} in the mostly-minority districts, "
              f"{format_share(a['minority_residents_crime_share'])} by minority residents (a "
              "district's patrols and crime are attributed to its residents in proportion). "
              "Stop-rate differences are mostly minority minus mostly majority, in percentage "
              "points. All columns but the last are medians with the 2.5th–97.5th percentiles "
              "across runs; the last is the audit of this city's stops, with its 95% sampling "
              "interval."),
        Text("**Where police are, not whom they stop.** Across runs, the stop rate in the "
             f"mostly-minority districts is {format_prose(across['stop_rate']['ratio'])} times "
             "the mostly-majority districts', but the hit rate, the share of stops that find "
             f"an offender, is {format_prose(across['hit_rate']['ratio'])} times theirs: an "
             "outcome test on hit rates would see little or no bias. A stop is a burden, so the "
             "audit's impact ratio compares the shares of residents *not* stopped: "
             f"{format_prose(minority['favorable_rate'], 'percent')} in the mostly-minority "
             f"districts against {format_prose(majority['favorable_rate'], 'percent')}, a ratio "
             f"of {format_prose(minority['impact_ratio'], 'ratio')}. Most residents are never "
             "stopped, so that ratio stays near 1 even with a stop rate "
             f"{format_prose(record['headline']['ratio'])} times the reference's: the four-fifths "
             "rule of thumb from US employment selection is no test of fair patrolling."),
    ]
