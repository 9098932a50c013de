"""widgets of the JobDesk desktop application."""
