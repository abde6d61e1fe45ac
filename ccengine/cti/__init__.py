"""ccengine: cti."""
