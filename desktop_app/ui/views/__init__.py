"""views of the JobDesk desktop application."""
