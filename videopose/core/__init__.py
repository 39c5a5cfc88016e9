"""The ground floor: errors, file I/O, the data types that travel between the layers, joint layouts,
progress. Depends on numpy only, and on nothing else of videopose (docs/architecture.md)."""
