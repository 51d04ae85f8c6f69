"""Browser tests: JupyterLab driven by Playwright and Debian's Chromium."""
