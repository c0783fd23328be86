"""povwatch's services: adapters around the domain (Kafka, stores, HTTP, CLI)."""
