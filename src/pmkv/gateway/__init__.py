"""pmkv.gateway"""
