"""Turning files a user picks into records the vault stores (notes, images)."""
