"""The paper: prose in, Markdown, HTML, LaTeX + BibTeX and PDF out, every number from the results.

:func:`aggregate` turns run results into a :class:`ResultsTable` (means, stds and the runs behind
each cell); :func:`write_paper` renders a :class:`Prose` with that table, figures and
:class:`Reference` s in every format, with the harness's statistics (:func:`compare`: each idea against
the baseline, intervals, effect sizes, corrected tests, verdicts), and runs the claim check (:func:`check_claims`: numbers in the
prose that no result supports). All of that text is untrusted: it is escaped for each format
(:func:`tex_escape` for TeX), raw HTML is off in the page, figures carry harness-chosen names
(:func:`figure_caption` makes a safe caption from the original name) and :func:`build_pdf` runs
the TeX engine confined. Writing the prose is not done here: the model call lives in
:mod:`proctor.agents`.
"""

from proctor.paper._claims import UnsupportedClaim, check_claims, numbers_in
from proctor.paper._escape import figure_caption, tex_escape
from proctor.paper._latex import bibtex, reference_key
from proctor.paper._model import Paper, Prose, Reference
from proctor.paper._pdf import build_pdf
from proctor.paper._render import write_paper
from proctor.paper._results import Cell, ResultsTable, aggregate
from proctor.paper._stats import Comparison, compare, direction

__all__ = [
    "Cell",
    "Comparison",
    "Paper",
    "Prose",
    "Reference",
    "ResultsTable",
    "UnsupportedClaim",
    "aggregate",
    "bibtex",
    "build_pdf",
    "check_claims",
    "compare",
    "direction",
    "figure_caption",
    "numbers_in",
    "reference_key",
    "tex_escape",
    "write_paper",
]
