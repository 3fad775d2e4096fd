"""The sizes a policy may have: every limit on what an author writes, in one place.

A clause file or a YAML file comes from people the engine does not control; each limit
below keeps one of them from exhausting memory, time or the stack, and exceeding one is a
located diagnostic, never a crash. docs/language.md ("Limits") lists them for authors;
keep the two in step.
"""

from __future__ import annotations

# ------------------------------------------------------------------ clause files

#: Characters in one clause file. Generous: a generated file of 100,000 contracts fits.
MAX_FILE_CHARS = 64 * 1024 * 1024
#: Characters in one quoted string (a title, a citation, a law's text), quotes excluded.
MAX_STRING_LENGTH = 10_000
#: Digits in one number (a number, an amount, a percentage, a duration, a tier bound):
#: more than decimal arithmetic keeps (28 significant digits) would be silently rounded.
MAX_LITERAL_DIGITS = 28
#: How deeply expressions may nest (`not not …`, `(a, (b, (c, …)))`, `a + b + c + …` each
#: count one level per operator): the checker, compiler, formatter and renderer walk
#: expressions recursively, and this keeps them far from Python's stack limit.
MAX_EXPRESSION_DEPTH = 64
#: Blocks (contracts, jurisdictions, vocabularies) in one file.
MAX_BLOCKS_PER_FILE = 200_000
#: Items (headers, parameters, definitions, clauses or rules …) in one block.
MAX_ITEMS_PER_BLOCK = 100_000

# ------------------------------------------------------------------ YAML files

#: Characters in one YAML file (data, scenarios, clause tests, templates, consent imports).
MAX_YAML_CHARS = 64 * 1024 * 1024
#: Nodes of a YAML document once every alias is expanded: what a reader of the loaded
#: value may walk. Stops "billion laughs" documents, where a few aliases of aliases stand
#: for billions of values.
MAX_YAML_NODES = 2_000_000
#: Alias uses (`*name`) in one YAML document.
MAX_YAML_ALIASES = 10_000
#: How deeply YAML collections may nest.
MAX_YAML_DEPTH = 100
