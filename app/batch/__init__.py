"""Batch issuing: many documents from one upload (the arrears ledger → 催款通知书)."""
