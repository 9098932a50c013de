"""JobDesk: jobs, invoices and payments for contractors who keep their books in QuickBooks Desktop."""

from desktop_app.version import __version__

__all__ = ["__version__"]
