"""Notification: records the message a customer would get (simulated: nothing is sent)."""
