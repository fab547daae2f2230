"""Authentication, the directory of parties, and what each party may see."""
