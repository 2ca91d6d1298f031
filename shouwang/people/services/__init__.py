"""Writes to the registry. Every function is keyword-only, runs in a transaction,
validates, saves, leaves an audit trail and returns what it wrote."""
