"""Message and read-model contracts (pydantic), with generated JSON Schema files."""
