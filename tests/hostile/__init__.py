"""Hostile input files, generated at test time (see ``corpus``)."""
