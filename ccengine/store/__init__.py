"""ccengine: store."""
