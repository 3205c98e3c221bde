"""Concord's own Rasa NLU pieces. `segments` is plain Python (both runtimes import it);
`tokenizer` is the Rasa component built on it and is loaded only by Rasa."""
