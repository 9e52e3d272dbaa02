"""What every CSV or spreadsheet download shares."""

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class EchoBuffer:
    """A file-like object whose write() returns the line, so csv.writer can feed a
    StreamingHttpResponse without holding the whole file."""

    def write(self, value):
        return value
