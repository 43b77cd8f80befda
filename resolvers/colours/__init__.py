"""The organization's colour palette, and the colour each contact carries."""
