"""povwatch's domain: households, their facts, and risk. No I/O here."""
