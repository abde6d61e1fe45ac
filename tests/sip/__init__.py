"""Real SIP clients for tests: baresip agent softphones and sipp caller scenarios."""
