"""Moved to :mod:`app.roster.views`; this name stays until ``app/__init__.py`` and ``app/cli.py``
import the package (then this file goes)."""
from .roster.views import *  # noqa: F401,F403
from .roster.views import ImportLogView, RosterImportApi, RosterImportView, register, register_cli  # noqa: F401
