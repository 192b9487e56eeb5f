"""The operator workspace, manager dashboards and the JSON API."""
