"""Consultation meetings (会商, docs/domain.md): the meeting's state machine (:mod:`.rules`), its
decisions (:mod:`.decisions`), lists and shapes (:mod:`.listing`), documents (:mod:`.documents`),
screens (:mod:`.views`), REST (:mod:`.api`) and the demo meetings (:mod:`.demo`).

``app.models`` imports :mod:`.models` at its end; nothing else is imported here so that import
stays free of cycles."""


def register(appbuilder):
    """Screens, REST and the attachments owner kind ``meeting`` (called by create_app)."""
    from . import api, views

    views.register(appbuilder)
    api.register(appbuilder)
