"""QuickBooks Web Connector server, qbXML layer and sync engine of JobDesk."""
