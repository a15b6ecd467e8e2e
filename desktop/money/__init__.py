"""Money, pure: units and prices, valuation in the user's currency, ROI, estimates, wear.

Nothing here does input or output: the worker feeds it ledger rows and cached prices, and
the API serves what it computes. Decimal throughout; a float never holds money.
"""
