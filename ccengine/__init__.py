"""ccengine: an open contact-center engine on Asterisk."""
