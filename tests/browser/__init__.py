"""Real-browser tests: the quiz embedded cross-site in headless Chromium."""
