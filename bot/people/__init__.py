"""A person takes over: the handoff queue, console users, and what the console shows."""
