"""Rasa custom actions: thin adapters that call bot/ services and return events."""
