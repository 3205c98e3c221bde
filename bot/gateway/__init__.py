"""Where every message enters and every reply leaves: intake, the assistant's turn, the outbox."""
