"""The console's admin API (HTTP API, JWT authorizer): calls, appointments, customers, settings."""
