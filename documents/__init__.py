"""MongoEngine documents, one module per domain area; business rules live here."""
