"""OWES Mesh service edge: the HTTP app, auth, audit, health, observability and the runtime that composes a service."""
