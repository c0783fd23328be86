"""Pushes to the people who act: the notification file's receivers, the
messages in Chinese, the senders for each kind of receiver and the outbox
that delivers each message once."""
