class DomainError(Exception):
    """A business rule refused the change. The message is shown to the user as it is."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)
