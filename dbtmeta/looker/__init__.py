"""Looker content from three interchangeable sources: the API, a LookML repository, a snapshot."""
