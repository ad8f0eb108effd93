"""The worked example of "Audit your own model": a small synthetic file of loan decisions.

``python -m reports._example`` (or ``casebook build``) writes
``docs/examples/loan_decisions.csv``; the same code always writes the same
bytes. One group name, ``<25 | student``, holds a ``<`` and a ``|`` on
purpose: the page shows that such names reach tables and HTML safely.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "loan_decisions.csv"
EXAMPLE_REL = "docs/examples/loan_decisions.csv"
COMMAND = (
    f"casebook audit {EXAMPLE_REL} --label repaid --prediction approved --score score "
    "--sensitive group --sensitive sex --reference group=25-44 --reference sex=male "
    "--out my-audit"
)

# The page's other examples, each run at build time in the same folder, in this order.
_DATA = f"casebook audit {EXAMPLE_REL} --label repaid"
EXTRA_COMMANDS = {
    "ll144": f"{_DATA} --prediction approved --sensitive sex --sensitive race_ethnicity "
             "--intersectional --ll144 --out ll144-audit",
    "suppress": f"{_DATA} --prediction approved --sensitive sex --sensitive race_ethnicity "
                "--intersectional --ll144 --suppress-below 30 --out published-audit",
    "after": f"{_DATA} --prediction approved_v2 --score score_v2 --sensitive group "
             "--sensitive sex --reference group=25-44 --reference sex=male --out my-audit-v2",
    "compare": "casebook compare my-audit my-audit-v2 --out before-vs-after",
}


def display_command(command: str = COMMAND) -> str:
    """A command for the page: one option per line, with shell line continuations."""
    out: list[str] = []
    for part in command.split(" "):
        if part.startswith("--") or not out:
            out.append(part)
        else:
            out[-1] += " " + part
    return " \\\n    ".join(out)


GROUPS = ("<25 | student", "25-44", "45-64", "65+")
GROUP_SHARES = (0.15, 0.45, 0.28, 0.12)
SEXES = ("female", "male")
# The categories of NYC Local Law 144's race/ethnicity; the last is under 2% of the rows.
RACES = ("White", "Black or African American", "Hispanic or Latino", "Asian",
         "Native Hawaiian or Pacific Islander")
RACE_SHARES = (0.55, 0.18, 0.16, 0.095, 0.015)


def make_loan_decisions(n_rows: int = 2000, random_state: int = 7) -> list[dict]:
    """A synthetic lender's decisions, the outcomes, and the model's score.

    Whether an applicant would repay depends on income and debt only; the
    lender's score also, wrongly, marks down the youngest applicants and,
    a little, women. ``repaid`` is known for everyone, which a real lender
    never has (it sees repayment only for the loans it made).
    ``score_v2`` and ``approved_v2`` are a new model's: the same score without
    the penalty on the youngest (for ``casebook compare``). ``race_ethnicity``
    plays no part in any decision (for the LL144 table); it is drawn last,
    so the other columns are those of the file before it existed.

    Parameters
    ----------
    n_rows : int
        Number of applicants.
    random_state : int
        Seed.

    Returns
    -------
    list of dict
        Rows with ``applicant_id``, ``group``, ``sex``, ``race_ethnicity``,
        ``score``, ``approved``, ``score_v2``, ``approved_v2`` and ``repaid``.

    Examples
    --------
    >>> rows = make_loan_decisions(10)
    >>> list(rows[0])[:4]
    ['applicant_id', 'group', 'sex', 'race_ethnicity']
    """
    rng = np.random.default_rng(random_state)
    group = rng.choice(len(GROUPS), size=n_rows, p=GROUP_SHARES)
    sex = rng.choice(len(SEXES), size=n_rows, p=(0.49, 0.51))
    income = rng.normal(0, 1, n_rows) - 0.5 * (group == 0)
    debt = rng.normal(0, 1, n_rows)
    logit = 1.1 + 0.9 * income - 0.7 * debt
    repaid = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(int)
    model = logit + rng.normal(0, 0.8, n_rows) - 0.7 * (group == 0) - 0.3 * (sex == 0)
    score = np.round(1 / (1 + np.exp(-model)), 4)
    approved = (score >= 0.7).astype(int)
    score_v2 = np.round(1 / (1 + np.exp(-(model + 0.7 * (group == 0)))), 4)
    approved_v2 = (score_v2 >= 0.7).astype(int)
    race = rng.choice(len(RACES), size=n_rows, p=RACE_SHARES)
    return [
        {"applicant_id": f"A{i + 1:05d}", "group": GROUPS[group[i]], "sex": SEXES[sex[i]],
         "race_ethnicity": RACES[race[i]], "score": f"{score[i]:.4f}",
         "approved": int(approved[i]), "score_v2": f"{score_v2[i]:.4f}",
         "approved_v2": int(approved_v2[i]), "repaid": int(repaid[i])}
        for i in range(n_rows)
    ]


def example_csv() -> bytes:
    """The example file's bytes (UTF-8 CSV, ``\\n`` line ends)."""
    rows = make_loan_decisions()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_example(path: str | Path = EXAMPLE) -> bool:
    """Write the example file unless it already holds these bytes; return whether it changed."""
    path = Path(path)
    data = example_csv()
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


if __name__ == "__main__":
    print(f"{'wrote' if write_example() else 'unchanged'}: {EXAMPLE}")
