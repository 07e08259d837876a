"""Moved to the package :mod:`app.roster`; this name stays until every importer uses the package."""
from .roster import *  # noqa: F401,F403
from .roster import import_roster, run_import  # noqa: F401
