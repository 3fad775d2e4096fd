"""The negotiation simulator: how would these terms work out on this catalogue and usage?

`load_scenario` reads a scenario file, `simulate` runs every variant of the terms on the
same generated uses (common random numbers) with the batch path of the engine, and
`clausula.simulate.report` writes the results as a table, CSV, JSON, charts and HTML.
"""

from .run import DrawnUsage, SimulationResult, VariantResult, artist_distribution, simulate
from .scenario import Scenario, ScenarioError, load_scenario, schema

__all__ = [
    "DrawnUsage",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "VariantResult",
    "artist_distribution",
    "load_scenario",
    "schema",
    "simulate",
]
