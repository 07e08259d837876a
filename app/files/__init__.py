"""The file store: content kept once by SHA-256 (``store``), what it really is (``sniff``), who may
attach, read and remove it on which owners (``rules``, ``owners``), screens and REST (``views``).

The face is loaded lazily so that ``app.models`` can import ``app.files.models`` at its end
without pulling the rules (which import the models) in a cycle.
"""

_FACE = {"register_owner", "attach", "attach_generated", "list_for", "readable", "remove", "FileError",
         "may_attach", "serialize"}


def __getattr__(name):
    if name in _FACE:
        from . import rules

        return getattr(rules, name)
    raise AttributeError(name)


def register(appbuilder):
    """Screens, REST API, the attachments box for templates and ``flask cso files-check``."""
    from . import views

    views.register(appbuilder)
