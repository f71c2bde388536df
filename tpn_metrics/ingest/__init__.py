"""Ingestion: read what senders really send, check it, keep it, load it or refuse it."""
