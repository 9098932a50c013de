"""models of the JobDesk desktop application."""
