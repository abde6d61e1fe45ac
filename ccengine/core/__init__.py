"""ccengine: core."""
