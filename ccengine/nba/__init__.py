"""Next-best-action: rules as data that turn what the engine knows about a customer and
their work into prompts for the agent (docs/intents.md "Next-best-action")."""
