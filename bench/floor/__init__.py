"""The floor: a bare Channels app whose consumer only relays a frame to a group (no database)."""
