"""Helpers shared by every layer and part of none (scikit-learn's ``utils``): thread limits, quiet fits, lazy
attributes, SQL race handling, value formatting and warnings aimed at the user's code.

Private: nothing here is public API, and it imports nothing else of automl_meta (but ``errors``), so any
layer may use it without tying the layers together.
"""
