"""Who calls the API (bearer tokens) and what they may do (roles and relationships)."""
