"""The event catalogue served and exported for integrators: AsyncAPI documents, pages and the docs/events export
(docs/integrators.md). Schemas and the compatibility check live in owes_contracts."""
