"""Apply the plan of dbt (`marts.plan_changes`) to casavi over its API.

`api` holds every path and payload mapping, `plan` the typed changes and safety checks,
`apply` one function per resource kind, `publish` the orchestration, `outcomes` the
per-item protocol (`portal_sync.publish_items`), `gates` the F1 / dbt-test checks.
"""
