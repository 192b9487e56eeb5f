"""VK: Callback API or Bots Long Poll in, vk_api ``messages.send`` out."""
