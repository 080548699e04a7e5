"""A realistic demo district: 72 bureaus, 29 towns, 113 communities, users for every role."""
