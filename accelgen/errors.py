"""The one exception type for errors a user can cause."""


class AccelgenError(Exception):
    """A bad config, argument, input file or a missing tool.

    The CLI prints the message on one line and exits with code 2; anything else that
    escapes is a bug and keeps its traceback.
    """


class CheckFailed(Exception):
    """A test, a measurement or a check ran and failed: the CLI prints the message on
    one line and exits with code 1 (not a user error, not a bug)."""


class ConfigError(AccelgenError):
    """A config value is invalid; ``field`` is the dotted path of the offending key."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)

    def under(self, prefix: str) -> "ConfigError":
        """The same error with its field path prefixed (``units.gemm`` + ``rows``)."""
        return ConfigError(f"{prefix}.{self.field}" if self.field else prefix, self.message)


def require(condition: bool, field: str, message: str) -> None:
    """Raise :class:`ConfigError` for ``field`` unless ``condition`` holds."""
    if not condition:
        raise ConfigError(field, message)
