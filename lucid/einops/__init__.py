"""lucid.einops"""
