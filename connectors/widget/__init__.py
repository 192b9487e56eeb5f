"""The site chat widget connector: visitor tokens, its HTTP endpoints and its WebSocket consumer.

The wire protocol is documented in ``PROTOCOL.md`` beside this module.
"""
