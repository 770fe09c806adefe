"""The emulator's state in SQLite: one module per resource, one transaction per write."""
