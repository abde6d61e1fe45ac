"""ccengine: telephony."""
