"""Read models of the event store (issue #5): caseload, agency inbox, at-risk list, outcomes.

- ``queries``: what the HTTP API reads (one module, fixed signatures).
- ``runner``: ``run_projections(pool, stop)`` keeps them live; ``catch_up(pool)`` runs once.
- ``rebuild`` / ``cli``: rebuild from position zero (``pathways projections rebuild``).
- ``schema``: ``migrate_projections(pool)``, to run beside the event store's migrations.
- ``projector`` folds events into per-pathway state; ``rows`` derives every row from it, purely.
"""
