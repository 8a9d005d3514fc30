"""Deterministic demo deliveries: ledgers, account mappings and CBS reference files."""
