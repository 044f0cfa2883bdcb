"""Ideas, the query language, the matching rule, and the counting engines."""
