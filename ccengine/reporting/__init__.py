"""ccengine: reporting."""
