"""Routera (CRM routing): flat contact objects, archived by DELETE, restored only by re-creating."""
