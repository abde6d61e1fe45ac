"""Outbound campaigns with consent: lists, steps, the consent ledger, the dialer and email
campaigns (docs/campaigns.md)."""
