"""The leaders' dashboard (issue 14): charts.py builds the charts, views.py serves them."""
from .views import register  # noqa: F401
