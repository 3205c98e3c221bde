"""Concord's own Rasa NLU pieces. `segments` is plain Python (both runtimes import it);
`tokenizer` and `linear_intent_classifier` are Rasa components, loaded only by Rasa."""
