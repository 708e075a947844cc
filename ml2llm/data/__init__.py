"""Data the curriculum uses offline: synthetic generators and the Shakespeare corpus."""
