"""The dashboard page: status strip, cards and live charts for one GPU at a time."""
