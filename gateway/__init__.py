"""The Switchboard gateway: HTTP app, request context, schema and CLI."""
