"""W3C ODRL 2.2 (JSON-LD) to and from clause contracts.

`export_contract` writes a contract as an ODRL `Agreement`; `import_policy` reads an ODRL
policy (an `Offer`, `Agreement` or `Set`) as clause text, made from the AST and laid out by
the formatter. What ODRL cannot say is carried in the Clausula profile (`profile.py`) and
listed in the `notes` of both directions, never dropped silently.
"""

from .profile import CONTEXT, PROFILE, OdrlError
from .reader import Imported, import_policy, import_text
from .writer import Exported, export_contract, export_file

__all__ = [
    "CONTEXT",
    "PROFILE",
    "Exported",
    "Imported",
    "OdrlError",
    "export_contract",
    "export_file",
    "import_policy",
    "import_text",
]
