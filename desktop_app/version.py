"""The single place that holds JobDesk's version (pyproject, installer and the app read it)."""

__version__ = "0.1.0"
