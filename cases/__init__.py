"""The case rules: complaint states, report classes, deadlines in working days.

Plain Python, no Telegram and no SQL, so handlers, the scheduler and the CLI share one set of rules.
"""
