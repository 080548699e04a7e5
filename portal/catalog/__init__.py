"""The catalog as the portal keeps it: versioned items synced from catalog/items."""
