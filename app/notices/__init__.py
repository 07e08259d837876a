"""Assignment notices (交办通知单, 六(五)): a numbered GB/T 9704 letter from the office to one lead
unit and optional co-units, approved by the director, registered, sent, acknowledged, replied
to and verified (docs/domain.md, docs/architecture.md#the-workflow-kit).

Kept light on purpose: ``app.models`` imports :mod:`.models` at its end, so nothing here may
import the rules or the screens. Use ``app.notices.rules`` (the one path), ``.views``, ``.api``.
"""
