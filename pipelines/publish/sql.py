"""Quoting for the SQL the publishing step writes itself."""


def name(identifier: str) -> str:
    """A quoted identifier, its double quotes doubled."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A quoted string literal."""
    return "'" + text.replace("'", "''") + "'"
