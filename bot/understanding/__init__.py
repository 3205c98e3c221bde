"""Reading what a customer wrote: language, sentiment, vulnerability cues, amounts and dates."""
