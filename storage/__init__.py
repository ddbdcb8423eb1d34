"""Persistence: SQLAlchemy models, queries, Alembic migrations, the agency directory loader."""
