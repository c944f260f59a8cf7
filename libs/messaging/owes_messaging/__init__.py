"""OWES Mesh messaging core: database wiring, transactional outbox, inbox, consumer and broker."""
