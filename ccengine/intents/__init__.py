"""Intents: what a customer's message is about, learnt from labelled examples
(docs/intents.md)."""
