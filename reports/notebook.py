"""``casebook notebook CASE``: a Jupyter notebook that rebuilds a case step by step.

The notebook uses the public API only (``cases`` and ``fairness``): generate
the world, look at it, train the model and audit it, change one knob, try one
mitigation (or, for a rule, one variant), then an exercise. Its prose cells
come from the case's own declaration and text, so a seminar opens the same
story the page tells. Its headline cell reproduces the record's headline, which
the tests check by running every notebook.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cases import COMMUNICATION, Case, CaseError

from ._paths import ROOT
from .pages import read_narrative

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
MITIGATION = "fairlearn.ThresholdOptimizer(DP)"


def _first_paragraph(text: str) -> str:
    para = text.strip().split("\n\n")[0] if text.strip() else ""
    return re.sub(r"\[\^[^\]]+\]", "", para)  # footnotes live on the page, not here


def _other_value(case: Case, knob: str):
    values = [v for v in case.sweeps[knob] if v != case.knob(knob).default]
    return values[0]


def make_notebook(case: Case) -> nbformat.NotebookNode:
    """The notebook of one case (validated against the notebook format).

    Examples
    --------
    >>> from cases import get_case
    >>> nb = make_notebook(get_case("hiring"))
    >>> nb.cells[0].cell_type, nb.metadata.kernelspec.name
    ('markdown', 'python3')
    """
    narrative = read_narrative(ROOT / "cases" / "text" / f"{case.slug}.md")
    real = _first_paragraph(narrative.get("The real system", ""))
    columns = [case.label] + ([case.truth] if case.truth else [])
    h = case.headline
    # The cheapest knob to change: a threshold re-decides, a model knob refits, a world
    # knob regenerates everything.
    order = {"threshold": 0, "model": 1, "world": 2}
    knob = min(case.sweeps, key=lambda k: order[case.knob(k).acts_on])
    value = _other_value(case, knob)
    acts_on = case.knob(knob).acts_on
    cells = [
        new_markdown_cell(
            f"# {case.title}\n\n{case.summary}\n\n*The data are synthetic: this notebook "
            "generates the world, with its biases put in on purpose. No number here describes "
            f"a real person.*\n\n**The real system.** {real}"
            "\n\nRun the cells in order (Shift+Enter). The page of this case on the casebook's "
            "site tells the same story with every number of the published record."),
        new_code_cell(
            "from cases import Spec, get_case, rerun, start\n\n"
            f"case = get_case({case.slug!r})\n"
            "spec = Spec(seed=0, n_samples=case.default_n_samples, knobs=case.resolve_knobs())\n"
            "spec"),
        new_markdown_cell(
            "## 1. The world\n\nThe generator makes every row; its datasheet says how each "
            "column is made and which bias was put in on purpose."),
        new_code_cell(
            "import pandas as pd\n\n"
            "world = case.make_data(spec.n_samples, random_state=spec.seed,\n"
            "                       **case.world_knobs(spec.knobs))\n"
            "datasheet = pd.DataFrame([(c.name, c.role, c.bias) for c in case.columns],\n"
            "                         columns=['column', 'role', 'bias put in on purpose'])\n"
            "world.head()"),
        new_code_cell("datasheet"),
        new_markdown_cell(
            f"## 2. Look at it\n\nHow often is the label `{case.label}` positive in each "
            f"group of `{h.attribute}`"
            + (f", and the truth `{case.truth}`" if case.truth else "") + "?"),
        new_code_cell(
            f"world.groupby({h.attribute!r}, observed=True)[{columns!r}].mean()"),
        new_markdown_cell(
            f"## 3. The model and its audit\n\n{case.model_description}\n\n`start` generates "
            "the world, splits it, decides and keeps the audits; `run.audit()` is the audit "
            "against the label, cross-checked against fairlearn and aif360."),
        new_code_cell(
            "run = start(case, spec)\n"
            "audit = run.audit()\n"
            f"audit.by_group.loc[{h.attribute!r}][['n', 'selection_rate', 'tpr', 'fpr', 'ppv', "
            "'impact_ratio']]"),
        new_markdown_cell(
            f"**The headline:** {h.meaning}. Its difference, with a 95% interval "
            "(the next cell's number is the published record's):"),
        new_code_cell(
            "gap = run.gap()\n"
            "print(case.headline.meaning, ':', gap.difference)\n"
            "headline = gap.difference.value\n"
            "headline"),
        new_markdown_cell(
            f"## 4. Change one knob\n\n`{knob}`: {case.knob(knob).description} It acts on the "
            f"{acts_on}: " + {"world": "the world is generated again",
                              "model": "the model is refitted on the same world",
                              "threshold": "the same model decides again"}[acts_on]
            + f". Here it goes from {case.knob(knob).default!r} to {value!r}."),
        new_code_cell(
            f"other = rerun(run, {knob!r}, {value!r})\n"
            "print('before:', run.gap().difference)\n"
            "print('after: ', other.gap().difference)"),
    ]
    if case.model is not None:
        cells += [
            new_markdown_cell(
                f"## 5. Try one mitigation\n\n`{MITIGATION}` picks a threshold per group on a "
                "validation split of the training rows so that selection rates match. It "
                "needs each person's group when it decides."),
            new_code_cell(
                "from fairness.mitigations import run_mitigation\n\n"
                f"attribute = {h.attribute!r}\n"
                f"out = run_mitigation({MITIGATION!r}, estimator=run.make_model(),\n"
                "                     X_train=run.train[run.features],\n"
                "                     y_train=run.train[case.label].to_numpy(),\n"
                "                     sensitive_train=run.train[attribute].astype(str),\n"
                "                     X_test=run.test[run.features],\n"
                "                     sensitive_test=run.test[attribute].astype(str),\n"
                "                     privileged=audit.reference(attribute), random_state=0,\n"
                "                     favorable=case.favorable_prediction)\n"
                "mitigated = run.with_decisions(run.test.assign(prediction=out.y_pred))\n"
                "print('against the label:', mitigated.gap().difference)"
                + ("\nprint('against the truth:', mitigated.gap('truth', "
                   "case.truth_headline).difference)" if case.truth else "")),
        ]
    elif case.variants:
        v = case.variants[0]
        cells += [
            new_markdown_cell(f"## 5. Try a variant\n\n**{v.name}**: {v.description}"),
            new_code_cell(f"variant = run.variant_run({v.name!r})\nvariant.gap().difference"),
        ]
    questions = narrative.get("Discussion questions", "")
    exercise = ("## 6. Exercise\n\nChange another knob (`case.knobs` lists them, with their "
                "ranges), re-run the audit, and answer one of the page's questions:\n\n"
                + re.sub(r"\[\^[^\]]+\]", "", questions))
    for key, q in case.questions.items():
        exercise += f"\n\n- **{COMMUNICATION[key]}** {q}"
    cells += [new_markdown_cell(exercise), new_code_cell("# your code here")]
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNEL,
                                             "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nb


def write_notebook(case: Case, out: str | Path) -> Path:
    """Write ``<slug>.ipynb`` into the folder ``out``; return its path."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise CaseError(f"--out {out} is a file; pass a folder")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{case.slug}.ipynb"
    path.write_text(nbformat.writes(make_notebook(case)) + "\n", encoding="utf-8")
    return path
