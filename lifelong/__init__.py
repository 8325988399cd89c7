"""Lifelong: customers for life."""
