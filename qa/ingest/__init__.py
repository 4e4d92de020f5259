"""Ingest: files into documents (loading) and documents into passages (splitting)."""
