"""Tests of the casavi and DocuWare emulators."""
