"""The monitoring procedure: cases from a lead to a decision, monitoring records and their help plans, served by the alerts process."""
