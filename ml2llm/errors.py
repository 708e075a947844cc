"""Errors the CLI turns into one line on stderr and exit code 2."""


class UsageError(Exception):
    """Bad command-line input (unknown id, missing file, invalid value). Printed as one line."""
