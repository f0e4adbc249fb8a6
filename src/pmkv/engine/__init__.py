"""pmkv.engine"""
