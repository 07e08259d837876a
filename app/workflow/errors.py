"""The one error type of every workflow document (docs/architecture.md#the-workflow-kit).

``status`` is HTTP-like so screens and REST map it the same way: 400 malformed request, 403 role
not allowed, 404 missing or out of scope, 409 wrong state or stale version, 413 too large,
422 bad parameters. ``field`` names the parameter a form shows the message next to.
"""


class WorkflowError(Exception):
    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field

    def as_dict(self):
        if self.field:
            return {"message": {self.field: [self.message]}}
        return {"message": self.message}
