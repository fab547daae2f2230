"""Switchboard beside Hive Gateway + GraphQL Mesh (Node) over the same TMF carriers (README.md)."""
