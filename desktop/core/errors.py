"""Errors a user can cause, with messages written for a clinician or an IT admin.

Core raises these; the UI and the CLI show ``str(error)`` as it is. Anything else that
escapes is a bug and is reported as one.
"""


class ClinicDeskError(Exception):
    """A problem the user can understand and act on; ``str()`` is the message to show."""


class InputError(ClinicDeskError):
    """A file or value the user supplied cannot be used (corrupt, empty, too large...)."""


class NotAvailableError(ClinicDeskError):
    """Something the action needs is not installed or not enabled (a model pack, OCR...)."""
