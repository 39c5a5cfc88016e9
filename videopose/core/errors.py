"""The one exception type users see."""


class VideoposeError(Exception):
    """A problem with the user's input or environment, with a message that says what to do.

    The CLI prints it without a traceback and exits non-zero; the Blender add-on shows it
    with ``self.report({'ERROR'}, ...)``.
    """
