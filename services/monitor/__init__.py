"""The monitor: department facts become household history, history a risk status."""
