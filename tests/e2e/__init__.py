"""End-to-end acceptance tests: the real gateway and real sandbox carriers on loopback."""
