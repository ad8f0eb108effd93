"""Placeholder replaced by the cross-check implementation."""


def cross_check(prepared, counts, groups, summary):
    return None
