"""Departments' data quality: rejected messages from the dead-letter topic,
stored facts counted by department and month, cadence and silence."""
