"""The knowledge base: articles technicians write from what they learned on incidents."""
