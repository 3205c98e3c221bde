"""The creditor's side: API keys, accounts placed, events out to the creditor's systems, exports."""
