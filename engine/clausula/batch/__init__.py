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
  evaluated for every artist and work of the data) and when the laws and contracts start
  and end (assumed enactments included) — each boundary and the day after, so that `<`,
  `<=`, `=` and the others all agree. Only when the clauses read the date in no other way
  (no `artist.age`, no amount that reads it) and every grant is one of the data files'
  (not a ledger that answers as of a day). The dates of the data (a party's, a grant's, a
  ledger record's) are not boundaries: an artist's signature says where the use's date
  falls among that artist's own dates (below), so uses on different days share a class
  when every artist's consents stand alike on them;
- their territories are valid and fall in the same territory sets: those the clauses test
  `use.territory` against (`in EU`, `is US-TN`) and the contracts' territories. Only when
  the clauses read the territory in no other way, and every grant is one of the data
  files'. (Whether a grant covers the territory is read per use, in the artist's
  signature, so the grants' territories do not split classes.)
- their works and artists correspond one to one (in the order the engine goes over them:
  the performers of each work, `use.artists`, the attribution) with the same connections
  (which works, which performers) and the same *signatures*. A work's signature is whether
  it is in the data, which contracts' scope it is in, whose licensor holds it, and the
  fields the clauses read (`work.tdm_reserved`); an artist's is whether they are in the
  data, the contracts' scopes, the fields the clauses read (`artist.death_date`; the
  residence only through the territory sets it is tested against when that is the only
  way it is read), and, when a consent could be asked of them in their roles, their birth
  and death dates and their ledger records that could count for this use: each with which
  of the purposes asked it covers and every other fact it records (dates, formalities,
  who gave it), ids aside. Records for another licensee, for none of those purposes or for
  another territory can never count, so they are left out. The dates among these are
  *relative*: each is replaced by its place among them, with the order of all of them
  plus each duration a consent is weighed with (none, coming of age, the requirements'
  caps) and where each falls among the policy's dates, and the use's date by where it
  falls among them. Every way the engine weighs a consent's dates compares the use's date,
  or another of the artist's dates, with one of those days, or one of them with a date of
  the policy; so artists whose days stand in the same order, with the use's date placed
  alike, cannot be told apart (a property test moves every date of an artist and of its
  uses by the same number of days and finds the same classes and the same answers).

Nothing else of an artist or a work can change a decision: the engine and the clauses
only compare ids for equality, look them up, and go over them in the use's order. Clauses
that do more with the ids in hand (`artist is party:…`, `work.id`), or a condition over
all artists (`any(…)`, which goes over them in the order of their ids) that could raise
for one of them, turn the abstraction off; ids the clause text names are kept apart.

The results are identical to `PolicySet.decide` on every use: the test suite checks this
use by use on random catalogues of "twins" (artists and works that differ only by their
ids) and near variants, with dates and territories on both sides of every boundary.
`decide_many` returns full `Decision` objects (grouping uses with the same shape only);
`evaluate` and `tally` take uses as columns and give compact `Outcome` records, and
`decide_outcomes` gives them for a list of uses, with the core kept per policy set and
thread from call to call.
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
