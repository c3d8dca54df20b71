"""A corpus of articles: a store (SQLite or PostgreSQL), ingest, statistics and export."""
