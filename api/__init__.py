"""The HTTP layer: routes, sessions and pages. Business decisions live in bot/."""
