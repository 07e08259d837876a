"""Accountability (问责): the urging ladder (ladder.py, run by the sweep), 督办单 and 通报批评 on the
workflow kit (rules.py), unit lapses, their screens and REST (docs/domain.md)."""
