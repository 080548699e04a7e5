"""Orders (an agency's request for a catalog item) and their approval chains."""
