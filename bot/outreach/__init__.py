"""The assistant speaks first: the contact policy (may it, now, and why not), the creditor's
cadence, the scheduler that sends within the rules, and a simulation to audit them."""
