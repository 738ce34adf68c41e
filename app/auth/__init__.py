"""Accounts, roles and projects: who may do what, where (issue 6).

`policy` says which role holds which permission and which projects a user sees; `passwords` hashes
with argon2; `accounts` keeps users, API tokens and web sessions in the index database; `web` turns
a request into a user (Bearer token or session cookie), checks CSRF, and serves /login and /logout.
"""
