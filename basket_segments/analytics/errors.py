"""The one error type the analytics package raises for bad input.

Every message is a sentence a non-programmer can act on: it names the file,
column or parameter at fault and, where possible, what was expected instead.
Callers (the command line, the dashboard) show ``str(error)`` as it is.
"""


class DataError(ValueError):
    """Input data or parameters the analysis cannot use, explained in one sentence."""
