"""The JSON API, /api/v1: thin over the same service functions as the pages,
authenticated by bearer tokens, described by /api/openapi.json."""
