"""Writes of the care network: volunteers, pairings, contacts, rules, reminders."""
