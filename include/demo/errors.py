"""The demo generator's one error."""


class GenerationError(RuntimeError):
    """The plan could not be carried out (a bug or an impossible plan, never a data finding)."""
