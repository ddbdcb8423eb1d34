"""Diskominfo admins and agency (OPD) officers speaking, and the scheduler's messages to them."""
