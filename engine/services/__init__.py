"""The operations the web app, the worker and the CLI call: each owns its transaction."""
