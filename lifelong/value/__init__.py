"""Customer value: purchase, churn and spend models for the CRM (pure numpy/scipy)."""
