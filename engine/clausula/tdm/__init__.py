"""Text-and-data-mining reservations read from the web, as evidence for the catalogue.

`signals` parses each kind of signal (W3C TDMRep's well-known file, HTTP fields and HTML
meta; robots.txt groups of AI crawlers; the IETF AI-preferences `Content-Usage`);
`captures` reads HTTP responses captured to disk (and captures them, only when asked);
`scan` combines them for each work of a catalogue into a `TdmReservation`.
"""

from .scan import WorkSignals, scan_works

__all__ = ["WorkSignals", "scan_works"]
