"""Intercom API 2.10: contacts archived and unarchived in place, UNIX-second timestamps."""
