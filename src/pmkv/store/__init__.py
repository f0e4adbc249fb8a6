"""pmkv.store"""
