"""dialogs of the JobDesk desktop application."""
