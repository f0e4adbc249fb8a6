"""pmkv.generate"""
