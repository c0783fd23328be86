"""What-if: every household assessed under the policy and rules in force and
under proposed ones, side by side, from the households' store read only."""
