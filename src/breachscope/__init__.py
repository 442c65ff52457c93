"""breachscope: qualify a leaked hospital data dump, exactly and traceably."""

__version__ = "0.1.0"
