"""Sending a health report to Slack: plan, route, post, remember (see :mod:`dbtmeta.alerts.send`)."""
