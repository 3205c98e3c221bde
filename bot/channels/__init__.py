"""Channel adapters: each turns a provider's format into ours and sends our messages back."""
