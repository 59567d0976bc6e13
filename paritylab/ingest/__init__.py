"""Production logs in: formats -> one LogRecord schema, sampling, validation, PII redaction."""
