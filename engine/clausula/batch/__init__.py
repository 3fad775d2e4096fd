"""Batch evaluation: a policy compiled once, applied to many uses, with the one-use answers.

Deciding a use has two parts of very different cost. The *structure* — which laws and
contracts apply, which clauses hold, which consents are met, who is to be paid under which
clause, and why a use is denied — depends on what the use is; the *amounts* depend also on
what it earned (`metrics`) and on the attribution weights. `BatchEvaluator` computes each
structure once, with the engine's own `decide`, and only the amounts per use:

1. `analyse` proves, once, from the checked clause text, that no condition (`applies when`,
   `when`, `unless`, `where`, `met when`) reads `use.id`, the metrics or `weight`/`share`
   (otherwise uses are grouped with their metrics, or, for `use.id`, decided one by one),
   and works out what the clauses can observe of a use (below).
2. The uses are sorted into *classes* that provably decide alike, and the structure of a
   class is computed from its first use (`clausula.decide`, as `PolicySet.decide` does).
3. For every use only the payment formulas that applied are evaluated, with its own
   metrics and weights, in `Decimal`, and rounded as the engine rounds (once per currency,
   largest remainder). Formulas that read only the metrics, `weight` and `share` are
   memoised across classes.
4. A use whose class's first uses raise, or whose payments raise (a formula that divides
   by zero, mixed currencies), takes the one-use path and gets the very same `UseError`.

**Classes.** Two uses are in the same class when they are equal in everything but their
id, metrics, weights, date, territory, works and artists, and:

- their dates fall between the same two *boundaries*: the dates the clauses compare
  `use.date` with (literals, and expressions such as `artist.death_date + 10 years`
  evaluated for every artist and work of the data), when the laws and contracts start and
  end (assumed enactments included), and the dates of the data from which a consent counts
  or lapses (every date of a party, grant or ledger record, and each plus the caps of the
  consent requirements and plus 18 years) — each boundary and the day after, so that `<`,
  `<=`, `=` and the others all agree. Only when the clauses read the date in no other way
  (no `artist.age`, no amount that reads it) and every grant is one of the data files'
  (not a ledger that answers as of a day);
- their territories are valid and fall in the same territory sets: those the clauses test
  `use.territory` against (`in EU`, `is US-TN`), the contracts' territories and the
  grants'. Only when the clauses read the territory in no other way, and every grant is
  one of the data files';
- their works and artists correspond one to one (in the order the engine goes over them:
  the performers of each work, `use.artists`, the attribution) with the same connections
  (which works, which performers) and the same *signatures*. A work's signature is whether
  it is in the data, which contracts' scope it is in, whose licensor holds it, and the
  fields the clauses read (`work.tdm_reserved`); an artist's is whether they are in the
  data, the contracts' scopes, the fields the clauses read (`artist.death_date`; the
  residence only through the territory sets it is tested against when that is the only
  way it is read), and, when a consent could be asked of them in their roles, their birth
  and death dates and their ledger records that could count here: each with which of the
  purposes asked it covers and every other fact it records (dates, formalities, who gave
  it), ids aside. Records for another licensee, for none of those purposes or for another
  territory can never count, so they are left out.

Nothing else of an artist or a work can change a decision: the engine and the clauses
only compare ids for equality, look them up, and go over them in the use's order. Clauses
that do more with the ids in hand (`artist is party:…`, `work.id`), or a condition over
all artists (`any(…)`, which goes over them in the order of their ids) that could raise
for one of them, turn the abstraction off; ids the clause text names are kept apart.

The results are identical to `PolicySet.decide` on every use: the test suite checks this
use by use on random catalogues of "twins" (artists and works that differ only by their
ids) and near variants, with dates and territories on both sides of every boundary.
`decide_many` returns full `Decision` objects (grouping uses with the same shape only);
`evaluate` and `tally` take uses as columns and give compact `Outcome` records.
"""

from ..pricing import Outcome
from .analysis import Analysis, analyse
from .evaluator import BatchEvaluator
from .loading import LoadedPolicy, load_files
from .outcomes import decide_outcomes
from .results import ShapeTable as ShapeTable  # imported by `clausula.simulate`
from .results import UseColumns

__all__ = [
    "Analysis",
    "BatchEvaluator",
    "LoadedPolicy",
    "Outcome",
    "UseColumns",
    "analyse",
    "decide_outcomes",
    "load_files",
]
