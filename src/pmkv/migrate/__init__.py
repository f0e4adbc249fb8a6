"""pmkv.migrate"""
