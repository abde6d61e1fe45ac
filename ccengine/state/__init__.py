"""ccengine: state."""
