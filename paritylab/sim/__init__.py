"""The simulated model and judge, and loopback servers speaking the OpenAI and Anthropic wire formats."""
