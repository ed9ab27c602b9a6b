"""Protocol models: `classic/` (textbook models with published state counts), `ebs/` and
`rds/` (the April 2011 EBS/RDS outage). Loaded by name by the CLI (`classic.die_hard`)."""
